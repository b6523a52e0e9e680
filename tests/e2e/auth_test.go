package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writePassword(t *testing.T, dir, name, pw string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAuthFileOnUnixSocket: the file module runs as a real plugin
// subprocess; xroam's and xpra's clients get in with the right password,
// are refused with a wrong one, and the version needs none.
func TestAuthFileOnUnixSocket(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	good := writePassword(t, e.Home, "good", "s3cret pass")
	bad := writePassword(t, e.Home, "bad", "guess")
	e.PasswordFile = good
	n := e.Start("--plugin-dir="+suite.PluginDir, "--auth=file:filename="+good)
	disp := fmt.Sprintf(":%d", n)

	if out := e.MustRun("info", disp, "--password-file="+good); !strings.Contains(out, "server.type=xroam") {
		t.Errorf("info with the password: %s", out)
	}
	out, code := e.Run("info", disp, "--password-file="+bad)
	if code != 1 || !strings.Contains(out, "authentication failed") {
		t.Errorf("wrong password: exit %d, %q", code, out)
	}
	out, code = e.Run("info", disp)
	if code != 1 || !strings.Contains(out, "--password-file") {
		t.Errorf("no password: exit %d, %q", code, out)
	}
	if out := e.MustRun("version", disp); !strings.Contains(out, "xroam") {
		t.Errorf("version needs no password: %q", out)
	}
	if _, err := exec.LookPath("xpra"); err == nil {
		sock := "socket://" + e.Socket(n)
		out, err := e.xpra(30*time.Second, "info", sock, "--password-file="+good)
		if err != nil || !strings.Contains(out, "server.type=xroam") {
			t.Errorf("xpra info with the password: %v\n%s", err, out)
		}
		out, err = e.xpra(30*time.Second, "info", sock, "--password-file="+bad)
		if err == nil || !strings.Contains(out, "authentication failed") {
			t.Errorf("xpra info with a wrong password: %v\n%s", err, out)
		}
		// A real xpra client attaches with the password file.
		cd := ClientDisplay(t)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		attach := exec.CommandContext(ctx, "xpra", "attach", sock, "--password-file="+good, "--mmap=no", "--opengl=no",
			"--tray=no", "--notifications=no", "--speaker=disabled", "--microphone=disabled", "--webcam=no")
		attach.Env = append(e.Environ(), "XPRA_ALLOW_ROOT=1", fmt.Sprintf("DISPLAY=:%d", cd), "XDG_RUNTIME_DIR="+e.Home)
		if err := attach.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { attach.Process.Kill(); attach.Wait() }()
		WaitFor(t, "xpra attach to log in", func() bool {
			info, _ := e.Run("info", disp, "--password-file="+good)
			return strings.Contains(info, "clients.0.type=Python/GTK3")
		})
	}
	logb, _ := os.ReadFile(filepath.Join(e.SockDir, fmt.Sprintf(":%d.log", n)))
	if !strings.Contains(string(logb), "authentication failed") {
		t.Errorf("failed attempts are not logged:\n%s", logb)
	}
}

// TestAuthPasswordOnTCP: --tcp-auth applies to TCP connections only.
func TestAuthPasswordOnTCP(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	addr := fmt.Sprintf("127.0.0.1:%d", suite.FreePort(t))
	n := e.Start("--plugin-dir="+suite.PluginDir, "--bind-tcp="+addr, "--tcp-auth=password:value=tcp-secret")
	uri := "tcp://" + addr + "/"
	out, code := e.Run("info", uri)
	if code != 1 || !strings.Contains(out, "password") {
		t.Errorf("TCP without a password: exit %d, %q", code, out)
	}
	cmd := exec.Command(suite.Bin, "info", uri)
	cmd.Env = append(e.Environ(), "XROAM_PASSWORD=tcp-secret")
	if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "server.type=xroam") {
		t.Errorf("TCP with XROAM_PASSWORD: %v %s", err, b)
	}
	// The unix socket has no --auth: no password needed there.
	e.MustRun("info", fmt.Sprintf(":%d", n))
}

func TestAuthConfigErrorsStopTheStart(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	out, code := e.Run("start", "--daemon=no", "--plugin-dir="+suite.PluginDir, "--auth=nosuchmodule")
	if code != 1 || !strings.Contains(out, "xroam-auth-nosuchmodule") {
		t.Errorf("unknown module: exit %d, %q", code, out)
	}
	out, code = e.Run("start", "--daemon=no", "--plugin-dir="+suite.PluginDir, "--auth=file:colour=blue")
	if code != 1 || !strings.Contains(out, "colour") {
		t.Errorf("bad module option: exit %d, %q", code, out)
	}
}

// TestAuthPluginCrashFailsClosedAndRecovers kills the auth plugin: while
// it is down logins are refused, the host restarts it, and the session
// and its application live through it all.
func TestAuthPluginCrashFailsClosedAndRecovers(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	good := writePassword(t, e.Home, "good", "pw")
	e.PasswordFile = good
	n := e.Start("--plugin-dir="+suite.PluginDir, "--auth=file:filename="+good, "--start=xterm -T crash-survivor")
	disp := fmt.Sprintf(":%d", n)
	WaitWindow(t, n, "crash-survivor")
	pluginPid := func() int { return e.PluginPid(n, "xroam-auth-file") }
	old := pluginPid()
	if old == 0 {
		t.Fatal("the auth plugin is not running as a subprocess")
	}
	syscall.Kill(old, syscall.SIGKILL)
	WaitFor(t, "the plugin to be restarted", func() bool {
		p := pluginPid()
		return p != 0 && p != old
	})
	WaitFor(t, "logins to work again", func() bool {
		out, code := e.Run("info", disp, "--password-file="+good)
		return code == 0 && strings.Contains(out, "windows.0.title=crash-survivor")
	})
}
