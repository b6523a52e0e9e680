package auth

import (
	"context"
	"errors"
	"time"
)

// CheckPassword verifies the request's proof against the stored clear
// password: the challenge response when there is one, else the clear
// password. Comparisons are constant-time.
func CheckPassword(req *Request, stored []byte) bool {
	if req.Challenge != nil {
		return req.Challenge.Verify(stored)
	}
	return req.HasPassword && Equal(req.Password, stored)
}

// ErrNoPassword is returned by ClearPassword when the request carries
// neither a clear password nor an xor challenge.
var ErrNoPassword = errors.New("no clear password: the client must use the xor digest")

// ClearPassword returns the client's password for modules that must hand
// it on (pam, exec, hashed passwords): the clear password, or the one an
// xor challenge carries.
func ClearPassword(req *Request) ([]byte, error) {
	if req.Challenge != nil {
		if req.Challenge.Digest != XOR {
			return nil, ErrNoPassword
		}
		return req.Challenge.Password()
	}
	if req.HasPassword {
		return req.Password, nil
	}
	return nil, ErrNoPassword
}

// PasswordDigests is the PrepareResponse of a module that holds clear
// passwords and so verifies any HMAC digest.
func PasswordDigests() *PrepareResponse {
	return &PrepareResponse{Challenge: true, Digests: HMACDigests(), Prompt: "password"}
}

// ClearPasswordDigests is the PrepareResponse of a module that needs the
// clear password.
func ClearPasswordDigests() *PrepareResponse {
	return &PrepareResponse{Challenge: true, Digests: []string{XOR}, Prompt: "password"}
}

// FailureDelay waits d or until ctx ends: callers use it after a failed
// attempt so that guessing is slow. It returns ctx's error if cut short.
func FailureDelay(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
