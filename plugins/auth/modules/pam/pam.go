// Package pam is the pam and sys authentication modules: the password the
// client sends is checked by the system's PAM stack, under a PAM service
// (login by default). They need the clear password, so they ask for xpra's
// xor digest, which xpra's clients send only over unix sockets and
// encrypted links. The package uses cgo and libpam; it is its own package
// so that no other plugin links libpam.
package pam

/*
#cgo LDFLAGS: -lpam
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int xroam_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata) {
	const char *pw = (const char *)appdata;
	struct pam_response *r;
	int i;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc(n, sizeof(struct pam_response));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
			r[i].resp = strdup(pw);
			if (r[i].resp == NULL) {
				free(r);
				return PAM_BUF_ERR;
			}
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static int xroam_pam_check(const char *service, const char *user, const char *pw, char *err, int errlen) {
	struct pam_conv conv = { xroam_conv, (void *)pw };
	pam_handle_t *h = NULL;
	int rc = pam_start(service, user, &conv, &h);
	if (rc != PAM_SUCCESS) {
		snprintf(err, errlen, "pam_start: %s", pam_strerror(h, rc));
		return rc;
	}
	rc = pam_authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
	if (rc != PAM_SUCCESS)
		snprintf(err, errlen, "%s", pam_strerror(h, rc));
	pam_end(h, rc);
	return rc;
}
*/
import "C"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"unsafe"

	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// Version is the version of these modules.
const Version = "0.1.0"

// DefaultService is the PAM service used when none is configured.
const DefaultService = "login"

// check runs the PAM stack of service for user and password.
func check(service, user string, password []byte) error {
	cs := C.CString(service)
	defer C.free(unsafe.Pointer(cs))
	cu := C.CString(user)
	defer C.free(unsafe.Pointer(cu))
	cp := C.CBytes(append(append([]byte{}, password...), 0))
	defer func() {
		// Wipe the password before giving the memory back.
		C.memset(cp, 0, C.size_t(len(password)+1))
		C.free(cp)
	}()
	var buf [256]C.char
	if rc := C.xroam_pam_check(cs, cu, (*C.char)(cp), &buf[0], C.int(len(buf))); rc != C.PAM_SUCCESS {
		return errors.New(C.GoString(&buf[0]))
	}
	return nil
}

type pamAuth struct{ service string }

func (pamAuth) Prepare(context.Context, *auth.PrepareRequest) (*auth.PrepareResponse, error) {
	return auth.ClearPasswordDigests(), nil
}

func (a pamAuth) Authenticate(_ context.Context, req *auth.Request) (*auth.Response, error) {
	if req.Username == "" {
		return auth.Deny("no username given"), nil
	}
	pw, err := auth.ClearPassword(req)
	if err != nil {
		return auth.Deny(err.Error()), nil
	}
	// xpra's clients send a password file as it is; a trailing newline is
	// never part of a system password, and a second PAM attempt would
	// count as a failed login.
	pw = bytes.TrimSuffix(bytes.TrimSuffix(pw, []byte("\n")), []byte("\r"))
	if err := check(a.service, req.Username, pw); err != nil {
		return auth.Deny(fmt.Sprintf("PAM service %s: %v", a.service, err)), nil
	}
	return &auth.Response{Allowed: true, Username: req.Username}, nil
}

func module(name string) plugin.Auth {
	return plugin.Auth{Name: name, Version: Version,
		Schema: schema.Schema{Attrs: []schema.Attr{{Name: "service", Type: schema.String, Default: DefaultService,
			Help: "the PAM service whose stack checks the password (a file in /etc/pam.d)"}}},
		New: func(_ context.Context, cfg schema.Values) (auth.Authenticator, error) {
			return pamAuth{service: cfg.String("service")}, nil
		}}
}

// PAM is the pam module.
func PAM() plugin.Auth { return module("pam") }

// Sys is the sys module: the system's own password check, which on Linux
// is PAM.
func Sys() plugin.Auth { return module("sys") }
