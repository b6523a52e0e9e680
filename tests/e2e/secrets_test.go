package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"
)

// procFiles reads /proc/PID/name for every process.
func procFiles(name string) map[int]string {
	out := map[int]string{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), name)); err == nil {
			out[pid] = strings.ReplaceAll(string(b), "\x00", " ")
		}
	}
	return out
}

// TestSecretsStayOutOfLogsArgvAndEnv runs a daemonized session with a
// password on TCP (--tcp-auth=password:value=…) and the env module on
// the unix socket (its variable named by name=), with XROAM_PASSWORD set
// too. After a good and a bad login on each socket, no secret is in the
// log, in any process's command line (server, Xvfb, plugins, children)
// or in the environment of the --start command and of Xvfb.
func TestSecretsStayOutOfLogsArgvAndEnv(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	id := strconv.Itoa(os.Getpid())
	tcpSecret, envSecret, defSecret := "S3CRET-tcp-"+id, "S3CRET-env-"+id, "S3CRET-default-"+id
	secrets := []string{tcpSecret, envSecret, defSecret}
	good := filepath.Join(e.Home, "good")
	bad := filepath.Join(e.Home, "bad")
	os.WriteFile(good, []byte(envSecret), 0o600)
	os.WriteFile(bad, []byte("guess"), 0o600)
	childPidFile := filepath.Join(e.Home, "child.pid")
	addr := fmt.Sprintf("127.0.0.1:%d", suite.FreePort(t))

	cmd := exec.Command(suite.Bin, "start", "--plugin-dir="+suite.PluginDir, "--bind-tcp="+addr,
		"--tcp-auth=password:value="+tcpSecret, "--auth=env:name=XR_TEST_PW",
		"--start=echo $$ >"+childPidFile+"; exec sleep 1000", "--socket-dir="+e.SockDir)
	cmd.Env = append(e.Environ(), "XR_TEST_PW="+envSecret, "XROAM_PASSWORD="+defSecret)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`session :(\d+) started \(pid (\d+)\)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("unexpected start output: %q", out)
	}
	n, _ := strconv.Atoi(m[1])
	serverPid, _ := strconv.Atoi(m[2])
	disp := fmt.Sprintf(":%d", n)
	xvfbPid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "xvfb.pid"))
	t.Cleanup(func() {
		if _, code := e.Run("stop", disp, "--password-file="+good); code != 0 {
			syscall.Kill(serverPid, syscall.SIGKILL)
			syscall.Kill(xvfbPid, syscall.SIGKILL)
		}
	})

	tcpInfo := func(pw string) (string, error) {
		c := exec.Command(suite.Bin, "info", "tcp://"+addr+"/")
		c.Env = append(e.Environ(), "XROAM_PASSWORD="+pw)
		b, err := c.CombinedOutput()
		return string(b), err
	}
	if out, err := tcpInfo(tcpSecret); err != nil || !strings.Contains(out, "server.type=xroam") {
		t.Errorf("TCP login with the password: %v %s", err, out)
	}
	if out, err := tcpInfo("wrong"); err == nil {
		t.Errorf("TCP login with a wrong password got in: %s", out)
	}
	if out := e.MustRun("info", disp, "--password-file="+good); !strings.Contains(out, "server.type=xroam") {
		t.Errorf("unix login with the env module's password: %s", out)
	}
	if out, code := e.Run("info", disp, "--password-file="+bad); code == 0 {
		t.Errorf("unix login with a wrong password got in: %s", out)
	}
	var log string
	WaitFor(t, "two successful and two failed logins in the log", func() bool {
		log = e.LogOf(n)
		return strings.Count(log, `msg=authenticated`) >= 2 && strings.Count(log, `msg="authentication failed"`) >= 2
	})
	if !strings.Contains(log, "password:value=<redacted>") {
		t.Errorf("the log does not name the password module, redacted:\n%s", log)
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the log holds the secret %s:\n%s", s, log)
		}
	}

	cmdlines := procFiles("cmdline")
	if !strings.Contains(cmdlines[serverPid], "start") {
		t.Fatalf("the server's command line %q does not say start", cmdlines[serverPid])
	}
	for pid, cl := range cmdlines {
		for _, s := range secrets {
			if strings.Contains(cl, s) {
				t.Errorf("/proc/%d/cmdline holds the secret %s: %s", pid, s, cl)
			}
		}
	}

	WaitFor(t, "the --start command's pid", func() bool {
		b, err := os.ReadFile(childPidFile)
		return err == nil && strings.HasSuffix(string(b), "\n")
	})
	childPid := ReadPid(t, childPidFile)
	for what, pid := range map[string]int{"the --start command": childPid, "Xvfb": xvfbPid} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		env := strings.Split(string(b), "\x00")
		if what != "Xvfb" && !strings.Contains(string(b), "DISPLAY="+disp) {
			t.Errorf("%s's environment lacks DISPLAY: %q", what, env)
		}
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			if k == "XR_TEST_PW" || k == "XROAM_PASSWORD" || k == "XROAM_ARGS_FD" {
				t.Errorf("%s inherited %s", what, k)
			}
			for _, s := range secrets {
				if strings.Contains(v, s) {
					t.Errorf("%s's environment holds the secret %s in %s", what, s, k)
				}
			}
		}
	}
}

// TestDaemonStartOnFullDisk: a daemonized start whose socket directory
// is on a full file system says why it failed ("no space left on
// device", which the daemon could not write to its log) and leaves
// neither a session directory nor an empty log behind.
func TestDaemonStartOnFullDisk(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	if err := os.MkdirAll(e.SockDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "xroam-full", e.SockDir).CombinedOutput(); err != nil {
		t.Skipf("mounting a tmpfs is not permitted here (%v: %s), so the full-disk start is not tested", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", e.SockDir).Run() })
	f, err := os.Create(filepath.Join(e.SockDir, "fill"))
	if err != nil {
		t.Fatal(err)
	}
	for buf := make([]byte, 4096); ; {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()

	out, code := e.Run("start", "--start=")
	if code != 1 || !strings.Contains(out, "no space left on device") || strings.Contains(out, "unreadable") {
		t.Errorf("start on a full disk: exit %d, %q; want exit 1 and the cause", code, out)
	}
	ents, _ := os.ReadDir(e.SockDir)
	for _, ent := range ents {
		if ent.Name() != "fill" {
			t.Errorf("the failed start left %s behind", ent.Name())
		}
	}
}

// TestDaemonStartErrorAfterTheLogRename: a daemonized start that fails
// once its log has its final name (here: the ws transport refuses an
// --html directory that does not exist) shows the cause and where the log
// is, and leaves no session directory.
func TestDaemonStartErrorAfterTheLogRename(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	out, code := e.Run("start", "--start=", "--plugin-dir="+suite.PluginDir,
		fmt.Sprintf("--bind-ws=127.0.0.1:%d", suite.FreePort(t)), "--html=/nonexistent/www")
	if code != 1 || !strings.Contains(out, "/nonexistent/www is not a directory") || strings.Contains(out, "unreadable") {
		t.Errorf("start with a missing --html directory: exit %d, %q; want exit 1 and the cause", code, out)
	}
	m := regexp.MustCompile(`its log: (\S+\.log)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the error does not name the log: %q", out)
	}
	if b, err := os.ReadFile(m[1]); err != nil || !strings.Contains(string(b), "is not a directory") {
		t.Errorf("log %s: %v %q", m[1], err, b)
	}
	ents, _ := os.ReadDir(e.SockDir)
	for _, ent := range ents {
		if ent.IsDir() {
			t.Errorf("the failed start left the directory %s behind", ent.Name())
		}
	}
}

// TestInvalidUTF8TitleReachesClientsAsText: a window whose _NET_WM_NAME
// is not valid UTF-8 is reported with U+FFFD in place of the bad bytes.
func TestInvalidUTF8TitleReachesClientsAsText(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("xprop"); err != nil {
		t.Skip("xprop is not installed (apt-get install x11-utils)")
	}
	e := suite.NewEnv(t)
	n := e.Start("--start=xterm -T utf8-probe")
	w := WaitWindow(t, n, "utf8-probe")
	set := exec.Command("xprop", "-id", strconv.FormatUint(uint64(w.ID), 10), "-f", "_NET_WM_NAME", "8u", "-set", "_NET_WM_NAME", "bad\xff\xfetitle")
	set.Env = append(e.Environ(), fmt.Sprintf("DISPLAY=:%d", n))
	if out, err := set.CombinedOutput(); err != nil {
		t.Fatalf("xprop: %v %s", err, out)
	}
	var line string
	WaitFor(t, "the new title in xroam info", func() bool {
		info := e.MustRun("info", fmt.Sprintf(":%d", n))
		for _, l := range strings.Split(info, "\n") {
			if strings.Contains(l, ".title=bad") {
				line = l
				return true
			}
		}
		return false
	})
	if !utf8.ValidString(line) || !strings.HasSuffix(line, ".title=bad\uFFFDtitle") {
		t.Errorf("info reports the title as %q, want valid UTF-8 bad\uFFFDtitle", line)
	}
}
