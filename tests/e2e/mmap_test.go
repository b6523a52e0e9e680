package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mmapApp starts an xroam session whose xterm prints more once the
// returned file exists; it returns the display, the server window and
// that file.
func mmapApp(t *testing.T, e *Env, title string, serverArgs ...string) (int, uint32, string) {
	t.Helper()
	goFile := filepath.Join(e.Home, "go")
	n := e.Start(append([]string{"--start=xterm -T " + title + " -geometry 70x14 -e sh -c 'ls -l /usr; " +
		"while [ ! -e " + goFile + " ]; do sleep 0.1; done; ls -l /etc; exec cat'"}, serverArgs...)...)
	return n, WaitWindow(t, n, title).ID, goFile
}

// moreOutput makes the application print and waits for the draws of
// coding to grow.
func moreOutput(t *testing.T, e *Env, n int, goFile, coding string) {
	t.Helper()
	before := e.infoInt(n, "encodings.draws."+coding)
	if err := os.WriteFile(goFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "more "+coding+" draws", func() bool { return e.infoInt(n, "encodings.draws."+coding) > before })
}

// TestMMapXpraClient: Debian's xpra 3.1.3 client offers its mmap area to
// an xroam server. Accepted, every draw goes through it and the client's
// pixels are the server's; refused (--mmap=no, a server-side path the
// server cannot open, or a file without the client's token), the draws go
// on the socket and the session works the same.
func TestMMapXpraClient(t *testing.T) {
	t.Parallel()
	needXpraPainting(t)
	for _, tc := range []struct {
		name   string
		server func(dir string) string
		used   bool
		why    string // in the server log when refused
	}{
		{"accepted", func(string) string { return "--mmap=yes" }, true, ""},
		{"refused", func(string) string { return "--mmap=no" }, false, "refused (--mmap=no)"},
		{"unopenable", func(dir string) string { return "--mmap=" + filepath.Join(dir, "missing", "file") }, false, "no such file"},
		{"wrong-token", func(dir string) string {
			// A file of the size of the 3.1.3 client's (256 MiB and a
			// page) that is not the client's: the token is not in it.
			f := filepath.Join(dir, "other.mmap")
			if err := os.WriteFile(f, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(f, 256<<20+4096); err != nil {
				t.Fatal(err)
			}
			return "--mmap=" + f
		}, false, "the token is not where the client said"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := suite.NewEnv(t)
			title := "mm-" + tc.name
			n, srv, goFile := mmapApp(t, e, title, tc.server(t.TempDir()))
			cd := ClientDisplay(t)
			out, stop := e.srvAttachXpra(t, "socket://"+e.Socket(n), cd, "--mmap=yes")
			defer e.dumpOnFailure(t, n, out, stop)
			cli := WaitWindow(t, cd, title)
			srvWaitSamePixels(t, n, srv, cd, cli.ID)
			coding := "rgb32"
			if tc.used {
				coding = "mmap"
			}
			moreOutput(t, e, n, goFile, coding)
			srvWaitSamePixels(t, n, srv, cd, cli.ID)
			info := e.MustRun("info", fmt.Sprintf(":%d", n))
			t.Logf("%s\n%s", GrepLines(info, "mmap."), GrepLines(info, "encodings.draws"))
			clients, mmapDraws, bytes := e.infoInt(n, "mmap.clients"), e.infoInt(n, "encodings.draws.mmap"), e.infoInt(n, "mmap.bytes")
			if tc.used {
				if clients != 1 || mmapDraws == 0 || bytes == 0 || e.infoInt(n, "encodings.draws.rgb32") != 0 {
					t.Errorf("mmap not used for every draw:\n%s\n%s", GrepLines(info, "mmap."), GrepLines(info, "encodings.draws"))
				}
				if !strings.Contains(out.String(), "enabled fast mmap transfers") {
					t.Errorf("the xpra client does not say it uses mmap")
				}
			} else if clients != 0 || mmapDraws != 0 {
				t.Errorf("mmap used although refused:\n%s", GrepLines(info, "mmap."))
			}
			if tc.why != "" {
				b, _ := os.ReadFile(filepath.Join(e.SockDir, fmt.Sprintf(":%d.log", n)))
				if !strings.Contains(string(b), tc.why) {
					t.Errorf("the server log does not say %q:\n%s", tc.why, linesWith(string(b), "mmap"))
				}
			}
		})
	}
}

// TestMMapXroamClient: the xroam client's area, offered to an xroam
// server: exact pixels through it, its file gone once the server has
// mapped it, and --mmap=no on either side keeps the draws on the socket.
func TestMMapXroamClient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		server, cli string
		used        bool
	}{{"both", "--mmap=yes", "--mmap=yes", true}, {"client-no", "--mmap=yes", "--mmap=no", false}, {"server-no", "--mmap=no", "--mmap=yes", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := suite.NewEnv(t)
			title := "mmx-" + tc.name
			n, srv, goFile := mmapApp(t, e, title, tc.server)
			cd := ClientDisplay(t)
			runDir := t.TempDir()
			e.AttachEnv(cd, []string{"XDG_RUNTIME_DIR=" + runDir}, "socket://"+e.Socket(n), tc.cli)
			cli := WaitWindow(t, cd, title)
			SamePixels(t, n, srv, cd, cli.ID, 0)
			coding := "rgb32"
			if tc.used {
				coding = "mmap"
			}
			moreOutput(t, e, n, goFile, coding)
			SamePixels(t, n, srv, cd, cli.ID, 0)
			if got := e.infoInt(n, "mmap.clients"); (got == 1) != tc.used {
				t.Errorf("mmap.clients=%d", got)
			}
			// Every lossless draw goes through the area, the new rows
			// of scroll draws included.
			if tc.used && e.infoInt(n, "encodings.draws.rgb32") != 0 {
				t.Errorf("rgb32 draws beside mmap:\n%s", GrepLines(e.MustRun("info", fmt.Sprintf(":%d", n)), "encodings.draws"))
			}
			left, _ := filepath.Glob(filepath.Join(runDir, "*.mmap"))
			if len(left) != 0 {
				t.Errorf("mmap files left in the runtime directory: %v", left)
			}
		})
	}
}

// TestMMapToXpraServer: the xroam client offers its area to Debian's xpra
// 3.1.3 server, which takes it: the client checks the server's token and
// paints the "mmap" draws exactly.
func TestMMapToXpraServer(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("xdotool is not installed")
	}
	n, uri := e.startXpraServer("xterm -T mmxpra -geometry 70x14 -e sh -c 'ls -l /usr; exec cat'", "--mmap=yes")
	server := xpraWindow(t, n, "mmxpra")
	cd := ClientDisplay(t)
	e.Attach(cd, uri, "--mmap=yes")
	cli := WaitWindow(t, cd, "mmxpra")
	SamePixels(t, n, server, cd, cli.ID, 0)
	// The draws were "mmap" ones: xpra's info says so for its client.
	out, err := e.xpra(60*time.Second, "info", fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir, "--socket-dirs="+e.SockDir)
	if err != nil {
		t.Fatalf("xpra info: %v\n%s", err, out)
	}
	lines := linesWith(out, "mmap")
	if !strings.Contains(lines, "client.mmap.enabled=True") || !strings.Contains(lines, ".total_frames.mmap=") {
		t.Errorf("xpra info does not show mmap enabled:\n%s", lines)
	}
	t.Logf("%s", lines)
}

// linesWith is the lines of s that contain word.
func linesWith(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
