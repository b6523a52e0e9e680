package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestWithoutVars(t *testing.T) {
	env := []string{"PATH=/bin", "XROAM_PASSWORD=s", "MY_PW=t", "XROAM_PASSWORD_FILE=keep", "NOEQUALS", "MY_PW="}
	got := withoutVars(env, []string{"XROAM_PASSWORD", "MY_PW"})
	want := []string{"PATH=/bin", "XROAM_PASSWORD_FILE=keep", "NOEQUALS"}
	if !slices.Equal(got, want) {
		t.Errorf("withoutVars = %q, want %q", got, want)
	}
	if env[1] != "XROAM_PASSWORD=s" {
		t.Error("withoutVars changed its argument")
	}
}

// TestArgsThroughPipe: the daemon's command line, secrets included,
// arrives whole through the descriptor named by XROAM_ARGS_FD.
func TestArgsThroughPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.Write([]byte(`["start","--tcp-auth=password:value=a,b \"q\"","--daemon=no"]`))
		w.Close()
	}()
	// ReadArgs closes the descriptor it reads: give it its own.
	fd, err := syscall.Dup(int(r.Fd()))
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadArgs(fmt.Sprint(fd))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"start", `--tcp-auth=password:value=a,b "q"`, "--daemon=no"}; !slices.Equal(got, want) {
		t.Errorf("ReadArgs = %q, want %q", got, want)
	}
	for _, bad := range []string{"", "x", "1"} {
		if _, err := ReadArgs(bad); err == nil {
			t.Errorf("ReadArgs(%q) took it", bad)
		}
	}
}

// TestReportFailure: the starter gets the cause through the ready pipe;
// an empty log (nothing could be written to it) is removed and not named.
func TestReportFailure(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		content  string
		wantLog  bool
		wantGone bool
	}{{"", false, true}, {"xroam start: it broke\n", true, false}} {
		logPath := filepath.Join(dir, "x.log")
		os.WriteFile(logPath, []byte(tc.content), 0o600)
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		// ReportFailure closes the descriptor: give it its own.
		fd, err := syscall.Dup(int(w.Fd()))
		w.Close()
		if err != nil {
			t.Fatal(err)
		}
		getenv := func(k string) string {
			if k == ReadyFDEnv {
				return fmt.Sprint(fd)
			}
			return ""
		}
		if err := ReportFailure(getenv, errors.New("write x: no space left on device"), logPath); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 4096)
		n, _ := r.Read(b)
		r.Close()
		line := string(b[:n])
		if !strings.HasPrefix(line, failurePrefix) || !strings.Contains(line, "no space left on device") {
			t.Errorf("report %q", line)
		}
		if strings.Contains(line, logPath) != tc.wantLog {
			t.Errorf("log %q: report %q", tc.content, line)
		}
		if _, err := os.Stat(logPath); os.IsNotExist(err) != tc.wantGone {
			t.Errorf("log %q: stat after the report: %v", tc.content, err)
		}
	}
}
