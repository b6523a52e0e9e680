package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuthPAM checks a real user's password through a real PAM service
// file (pam_unix) with the pam plugin: the right password opens the
// session, a wrong one is refused. It creates the user and the service
// file, so it needs root, and removes both afterwards.
func TestAuthPAM(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a user and a PAM service")
	}
	if _, err := exec.LookPath("chpasswd"); err != nil {
		t.Skip("chpasswd is missing")
	}
	if _, err := os.Stat("/usr/include/security/pam_appl.h"); err != nil {
		t.Skip("libpam0g-dev is not installed")
	}
	e := suite.NewEnv(t)
	const user, service = "xroampamtest", "xroam-test-pam"
	suite.AddUser(t, user)
	suite.SetPassword(t, user, "pam-Secret-42")
	svc := filepath.Join("/etc/pam.d", service)
	if err := os.WriteFile(svc, []byte("auth required pam_unix.so\naccount required pam_unix.so\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(svc) })

	// sys is the system's own password check, which is PAM on Linux.
	for _, module := range []string{"pam", "sys"} {
		t.Run(module, func(t *testing.T) {
			n := e.Start("--plugin-dir="+suite.PluginDir, "--auth="+module+":service="+service)
			disp := fmt.Sprintf(":%d", n)
			// The password file ends with a newline, as echo writes it: the
			// module does not hand it to PAM.
			info := func(pw string) (string, int) {
				return e.Run("info", disp, "--username="+user, "--password-file="+writePassword(t, e.Home, "pw", pw))
			}
			if out, code := info("pam-Secret-42"); code != 0 || !strings.Contains(out, "server.type=xroam") {
				t.Errorf("right password: exit %d\n%s", code, out)
			}
			if out, code := info("wrong"); code != 1 || !strings.Contains(out, "authentication failed") {
				t.Errorf("wrong password: exit %d\n%s", code, out)
			}
			if logb := e.LogOf(n); !strings.Contains(logb, `module="`+module+`:service=`) {
				t.Errorf("the log does not name the %s module:\n%s", module, Tail(logb, 2000))
			}
		})
	}
}
