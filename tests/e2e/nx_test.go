package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
	"github.com/xroam/xroam/core/xpra"
)

// The NX session features (issue 8): --dpi and the client's DPI, the
// keyboard options and NX's keyboard= forms applied with XKB,
// --idle-timeout, --report-wids and the NX options file.

// nxConnect attaches as a UI client whose hello carries extra; the
// connection stays open until the test closes it (or it ends).
func nxConnect(t *testing.T, sock string, extra wire.Dict) (net.Conn, *wire.Reader) {
	t.Helper()
	nc, err := net.DialTimeout("unix", sock, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	hello := wire.Dict{"version": "3.1.3", "rencode": true, "ui_client": true, "client_type": "test"}
	for k, v := range extra {
		hello[k] = v
	}
	if err := wire.NewWriter(nc).WritePacket(xpra.NewHello(hello)); err != nil {
		t.Fatal(err)
	}
	r := wire.NewReader(nc)
	nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	pkt, err := r.ReadPacket()
	if err != nil || pkt.Type() != "hello" {
		t.Fatalf("no hello from the server: %v %v", pkt.Type(), err)
	}
	nc.SetReadDeadline(time.Time{})
	return nc, r
}

// xdpyinfoDPI is the resolution xdpyinfo reports for display n.
func xdpyinfoDPI(t *testing.T, n int) string {
	t.Helper()
	out, err := exec.Command("xdpyinfo", "-display", fmt.Sprintf(":%d", n)).CombinedOutput()
	if err != nil {
		t.Fatalf("xdpyinfo: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`resolution:\s+(\d+x\d+) dots per inch`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("xdpyinfo printed no resolution:\n%s", out)
	}
	return string(m[1])
}

// xkbQuery is `setxkbmap -query` on display n, as a map.
func xkbQuery(t *testing.T, n int) map[string]string {
	t.Helper()
	out, err := exec.Command("setxkbmap", "-display", fmt.Sprintf(":%d", n), "-query").CombinedOutput()
	if err != nil {
		t.Fatalf("setxkbmap -query: %v\n%s", err, out)
	}
	q := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			q[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return q
}

func needNXTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"xdpyinfo", "setxkbmap", "xterm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (packaging/install-deps.sh)", tool)
		}
	}
}

func TestDPIOption(t *testing.T) {
	t.Parallel()
	needNXTools(t)
	e := suite.NewEnv(t)
	// A fixed --dpi: Xvfb, RandR and Xft.dpi say it, and a client's own
	// DPI does not change it.
	n := e.Start("--dpi=144")
	if got := xdpyinfoDPI(t, n); got != "144x144" {
		t.Errorf("--dpi=144: xdpyinfo says %s", got)
	}
	if v, err := x11test.Resource(context.Background(), fmt.Sprintf(":%d", n), "Xft.dpi"); err != nil || v != "144" {
		t.Errorf("Xft.dpi %q %v", v, err)
	}
	nxConnect(t, e.Socket(n), wire.Dict{"dpi": 120, "dpi.x": 120, "dpi.y": 120})
	time.Sleep(500 * time.Millisecond)
	if got := xdpyinfoDPI(t, n); got != "144x144" {
		t.Errorf("a client changed the fixed --dpi: %s", got)
	}

	// Without --dpi the attaching client's resolution is the session's.
	m := e.Start()
	if got := xdpyinfoDPI(t, m); got != "96x96" {
		t.Errorf("default resolution %s", got)
	}
	nxConnect(t, e.Socket(m), wire.Dict{"dpi": 120, "dpi.x": 120, "dpi.y": 120})
	WaitFor(t, "the client's DPI", func() bool { return xdpyinfoDPI(t, m) == "120x120" })
	if v, _ := x11test.Resource(context.Background(), fmt.Sprintf(":%d", m), "Xft.dpi"); v != "120" {
		t.Errorf("Xft.dpi %q after the attach", v)
	}

	// A desktop session too.
	d := e.StartVerb("start-desktop", "--dpi=72", "--keyboard=pc105/gb")
	if got := xdpyinfoDPI(t, d); got != "72x72" {
		t.Errorf("start-desktop --dpi=72: xdpyinfo says %s", got)
	}
	if q := xkbQuery(t, d); q["layout"] != "gb" {
		t.Errorf("start-desktop --keyboard=pc105/gb: %v", q)
	}

	// The bounds hold, and past them: a clear error, no session.
	// (The screen's size in millimetres is a whole number, so xdpyinfo's
	// figure may be one off at 500; Xft.dpi is exact.)
	for _, dpi := range []int{10, 500} {
		b := e.Start(fmt.Sprintf("--dpi=%d", dpi))
		var x, y int
		got := xdpyinfoDPI(t, b)
		fmt.Sscanf(got, "%dx%d", &x, &y)
		if x < dpi-1 || x > dpi+1 || y < dpi-1 || y > dpi+1 {
			t.Errorf("--dpi=%d: xdpyinfo says %s", dpi, got)
		}
		if v, err := x11test.Resource(context.Background(), fmt.Sprintf(":%d", b), "Xft.dpi"); err != nil || v != fmt.Sprint(dpi) {
			t.Errorf("--dpi=%d: Xft.dpi %q %v", dpi, v, err)
		}
	}
	for _, bad := range []string{"5", "9", "501", "abc"} {
		out, code := e.Run("start", "--dpi="+bad)
		if code == 0 || !strings.Contains(out, "--dpi") {
			t.Errorf("--dpi=%s: exit %d\n%s", bad, code, out)
		}
	}
}

func TestKeyboardForms(t *testing.T) {
	t.Parallel()
	needNXTools(t)
	e := suite.NewEnv(t)
	for _, c := range []struct {
		args []string
		want map[string]string
	}{
		{[]string{"--keyboard=pc104/de"}, map[string]string{"model": "pc104", "layout": "de"}},
		{[]string{"--keyboard=rmlvo/evdev#pc105#de,us#nodeadkeys#lv3:rwin_switch"},
			map[string]string{"rules": "evdev", "model": "pc105", "layout": "de,us", "variant": "nodeadkeys", "options": "lv3:rwin_switch"}},
		{[]string{"--keyboard-layout=fr", "--keyboard-variant=azerty", "--keyboard-options=ctrl:nocaps"},
			map[string]string{"layout": "fr", "variant": "azerty", "options": "ctrl:nocaps"}},
		{[]string{"--keyboard-layouts=gb", "--keyboard-layouts=de"}, map[string]string{"layout": "gb,de"}},
		{[]string{"--keyboard=query"}, map[string]string{"layout": "us"}},
	} {
		n := e.Start(c.args...)
		q := xkbQuery(t, n)
		for k, v := range c.want {
			if q[k] != v {
				t.Errorf("%v: setxkbmap -query %s=%q, want %q (%v)", c.args, k, q[k], v, q)
			}
		}
		if c.args[0] == "--keyboard=query" && !strings.Contains(e.LogOf(n), "layout=us") {
			t.Errorf("--keyboard=query did not report the layout:\n%s", e.LogOf(n))
		}
	}

	// clone: each attaching client's layout, from its hello.
	n := e.Start("--keyboard=clone")
	if q := xkbQuery(t, n); q["layout"] != "us" {
		t.Errorf("before any client: %v", q)
	}
	c, _ := nxConnect(t, e.Socket(n), wire.Dict{"xkbmap_layout": "fr", "xkbmap_variant": "",
		"xkbmap_query_struct": map[string]any{"rules": "evdev", "model": "pc105", "layout": "fr"}})
	WaitFor(t, "the client's layout", func() bool { return xkbQuery(t, n)["layout"] == "fr" })
	// The client's layout changes: the session follows (layout-changed).
	if err := wire.NewWriter(c).WritePacket(xpra.LayoutChanged{Layout: "de", Variant: "nodeadkeys"}.Packet()); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "the client's new layout", func() bool {
		q := xkbQuery(t, n)
		return q["layout"] == "de" && q["variant"] == "nodeadkeys"
	})
	// A bad name is refused and changes nothing.
	wire.NewWriter(c).WritePacket(xpra.LayoutChanged{Layout: "-print"}.Packet())
	time.Sleep(300 * time.Millisecond)
	if q := xkbQuery(t, n); q["layout"] != "de" {
		t.Errorf("a bad layout-changed changed the keyboard: %v", q)
	}

	// Mistakes fail the start with a clear error.
	for _, bad := range []struct{ arg, want string }{
		{"--keyboard=de", "--keyboard"},
		{"--keyboard=rmlvo/evdev#pc105", "5 fields"},
		{"--keyboard-layout=nosuchlayout", "setxkbmap"},
	} {
		out, code := e.Run("start", bad.arg)
		if code == 0 || !strings.Contains(out, bad.want) {
			t.Errorf("%s: exit %d, want an error with %q:\n%s", bad.arg, code, bad.want, out)
		}
	}
}

// TestKeyboardLayoutTyping types through `xroam attach` from a us client
// into an xterm of a de session: with keysym mapping the character is
// kept ('z' is typed as z), with --keyboard-raw (the server's, or the
// xpra 3.1.3 client's xkbmap_raw) the key is (the us 'z' key is the de
// 'y' key).
func TestKeyboardLayoutTyping(t *testing.T) {
	t.Parallel()
	needNXTools(t)
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("xdotool is not installed")
	}
	for _, c := range []struct {
		name, want string
		args       []string
		// xpra attaches Debian's xpra 3.1.3 client with these options
		// instead of xroam's.
		xpra []string
		// attach are options of xroam attach.
		attach []string
	}{
		{"keysyms", "z", nil, nil, nil},
		{"raw", "y", []string{"--keyboard-raw"}, nil, nil},
		{"client-raw", "y", nil, nil, []string{"--keyboard-raw"}},
		{"xpra-raw", "y", nil, []string{"--keyboard-raw=yes"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.xpra != nil {
				needXpra(t)
				if err := exec.Command("/usr/bin/python3", "-c", "import gi; gi.require_foreign('cairo')").Run(); err != nil {
					t.Skip("the xpra client cannot paint: apt-get install python3-gi-cairo")
				}
			}
			e := suite.NewEnv(t)
			dir := t.TempDir()
			typed := filepath.Join(dir, "typed")
			script := filepath.Join(dir, "app.sh")
			app := "#!/bin/sh\nwhile IFS= read -r l; do printf '%s\\n' \"$l\" >> " + typed + "; done\n"
			if err := os.WriteFile(script, []byte(app), 0o755); err != nil {
				t.Fatal(err)
			}
			n := e.Start(append([]string{"--keyboard-layout=de", "--start=xterm -T kb -geometry 40x5 -e " + script}, c.args...)...)
			WaitWindow(t, n, "kb")
			cd := ClientDisplay(t)
			if c.xpra != nil {
				e.srvAttachXpra(t, "socket://"+e.Socket(n), cd, c.xpra...)
			} else {
				e.Attach(cd, append([]string{"socket://" + e.Socket(n)}, c.attach...)...)
			}
			cli := WaitWindow(t, cd, "kb")
			Xdotool(t, cd, "mousemove", "--window", fmt.Sprint(cli.ID), "20", "20", "click", "1")
			Xdotool(t, cd, "windowfocus", "--sync", fmt.Sprint(cli.ID))
			Xdotool(t, cd, "type", "--delay", "50", "z")
			Xdotool(t, cd, "key", "Return")
			WaitFor(t, "the typed line", func() bool {
				b, _ := os.ReadFile(typed)
				return strings.Contains(string(b), "\n")
			})
			b, _ := os.ReadFile(typed)
			if got := strings.TrimSpace(string(b)); got != c.want {
				t.Errorf("typed %q on a de session, want %q", got, c.want)
			}
		})
	}
}

// readDisconnect reads packets until the server's disconnect.
func readDisconnect(t *testing.T, nc net.Conn, r *wire.Reader, within time.Duration) string {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(within))
	for {
		pkt, err := r.ReadPacket()
		if err != nil {
			t.Fatalf("no disconnect packet: %v", err)
		}
		if d, err := xpra.ParseDisconnect(pkt); err == nil {
			return d.Reason
		}
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	needNXTools(t)
	e := suite.NewEnv(t)
	opts := filepath.Join(e.Home, "nx.options")
	if err := os.WriteFile(opts, []byte("timeout=2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// --idle-timeout, and NX's auto-disconnect timeout from an options file.
	for _, arg := range []string{"--idle-timeout=2", "--options-file=" + opts} {
		n := e.Start(arg, "--start=xterm -T idle")
		w := WaitWindow(t, n, "idle")
		start := time.Now()
		nc, r := nxConnect(t, e.Socket(n), nil)
		if reason := readDisconnect(t, nc, r, 30*time.Second); reason != xpra.ReasonIdleTimeout {
			t.Errorf("%s: disconnected with %q, want %q", arg, reason, xpra.ReasonIdleTimeout)
		}
		if d := time.Since(start); d < 2*time.Second {
			t.Errorf("%s: disconnected after %v", arg, d)
		}
		// The application lives on and a new client may attach.
		if got := WaitWindow(t, n, "idle"); got.ID != w.ID {
			t.Errorf("the xterm changed: %x -> %x", w.ID, got.ID)
		}
		c2, _ := nxConnect(t, e.Socket(n), nil)
		c2.Close()
	}

	// Input keeps a client attached: it sends pointer moves for 3 s of a
	// 2 s timeout.
	n := e.Start("--idle-timeout=2")
	nc, r := nxConnect(t, e.Socket(n), nil)
	w := wire.NewWriter(nc)
	for range 6 {
		if err := w.WritePacket(xpra.PointerPosition{Pointer: xpra.Pointer{10, 10}}.Packet()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	lastInput := time.Now()
	if reason := readDisconnect(t, nc, r, 30*time.Second); reason != xpra.ReasonIdleTimeout {
		t.Errorf("disconnected with %q", reason)
	}
	// The disconnect comes a timeout after the last input, not after the
	// connect: the input was seen.
	if d := time.Since(lastInput); d < 1500*time.Millisecond {
		t.Errorf("disconnected %v after the last input, with a 2 s timeout", d)
	}
}

func TestReportWids(t *testing.T) {
	t.Parallel()
	needNXTools(t)
	e := suite.NewEnv(t)
	n := e.Start("--report-wids", "--start=xterm -T wids")
	w := WaitWindow(t, n, "wids")
	mapped := fmt.Sprintf("xroam: window 0x%x mapped", w.ID)
	WaitFor(t, "the mapped line", func() bool { return strings.Contains(e.LogOf(n), mapped) })
	Xdotool(t, n, "windowunmap", "--sync", fmt.Sprint(w.ID))
	unmapped := fmt.Sprintf("xroam: window 0x%x unmapped", w.ID)
	WaitFor(t, "the unmapped line", func() bool { return strings.Contains(e.LogOf(n), unmapped) })
	// The line is machine readable: the id also stands as xid=.
	if !regexp.MustCompile(`xroam: window 0x[0-9a-f]+ mapped.* xid=0x[0-9a-f]+ wid=\d+ event=mapped`).MatchString(e.LogOf(n)) {
		t.Errorf("no machine-readable line in the log:\n%s", e.LogOf(n))
	}
	// Without the option, no such lines.
	m := e.Start("--start=xterm -T nowids")
	WaitWindow(t, m, "nowids")
	// Once info lists the window the server has seen it map, which is
	// when --report-wids would have said so.
	WaitFor(t, "the window in info", func() bool {
		info, _ := e.Run("info", fmt.Sprintf(":%d", m))
		return strings.Contains(info, "title=nowids")
	})
	if strings.Contains(e.LogOf(m), "xroam: window 0x") {
		t.Errorf("windows reported without --report-wids")
	}
}

func TestOptionsFile(t *testing.T) {
	t.Parallel()
	needNXTools(t)
	e := suite.NewEnv(t)
	opts := filepath.Join(e.Home, "nx.options")
	write := func(s string) {
		if err := os.WriteFile(opts, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Read at start.
	write("nx/nx,keyboard=pc105/de,dpi=120,clipboard=server\n")
	n := e.Start("--options-file=" + opts)
	if q := xkbQuery(t, n); q["layout"] != "de" || q["model"] != "pc105" {
		t.Errorf("start: keyboard %v", q)
	}
	if got := xdpyinfoDPI(t, n); got != "120x120" {
		t.Errorf("start: resolution %s", got)
	}
	// Read again on re-attach.
	write("kbtype=rmlvo/evdev%23pc105%23fr%23%23ctrl:nocaps,dpi=150,clipboard=none")
	c, _ := nxConnect(t, e.Socket(n), nil)
	WaitFor(t, "the re-read keyboard", func() bool {
		q := xkbQuery(t, n)
		return q["layout"] == "fr" && q["options"] == "ctrl:nocaps"
	})
	if got := xdpyinfoDPI(t, n); got != "150x150" {
		t.Errorf("re-attach: resolution %s", got)
	}
	if !strings.Contains(e.LogOf(n), "clipboard-direction=disabled") {
		t.Errorf("re-attach: clipboard=none not applied:\n%s", e.LogOf(n))
	}
	info := e.MustRun("info", fmt.Sprintf(":%d", n))
	for _, want := range []string{"nx.keyboard=rmlvo/evdev#pc105#fr##ctrl:nocaps", "nx.dpi=150", "nx.clipboard-direction=disabled", "clipboard.direction=disabled", "nx.options-file=" + opts} {
		if !strings.Contains(info, want+"\n") {
			t.Errorf("info lacks %s:\n%s", want, GrepLines(info, "clipboard."))
		}
	}
	c.Close()
	// A broken file at re-attach changes nothing and the attach goes on.
	write("dpi=200,bogus=1")
	c, _ = nxConnect(t, e.Socket(n), nil)
	WaitFor(t, "the warning", func() bool { return strings.Contains(e.LogOf(n), `nx.options:1:9: unknown NX option \"bogus\"`) })
	if got := xdpyinfoDPI(t, n); got != "150x150" {
		t.Errorf("a broken file changed the resolution: %s", got)
	}
	c.Close()

	// A broken file at start: file:line:column, no session.
	write("dpi=120,\nrootless=1")
	out, code := e.Run("start", "--options-file="+opts)
	if code == 0 || !strings.Contains(out, opts+":2:1:") || !strings.Contains(out, "rootless") {
		t.Errorf("broken options file: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(opts + "x"); err == nil {
		t.Fatal("unexpected file")
	}
	_, code = e.Run("start", "--options-file="+opts+"x")
	if code == 0 {
		t.Error("a missing options file was accepted")
	}
}

// TestNXClientHello: the hello of Debian's xpra 3.1.3 client, then of
// xroam's, drives keyboard=clone (their --keyboard-layout and
// --keyboard-variant) and the automatic DPI (their --dpi).
func TestNXClientHello(t *testing.T) {
	t.Parallel()
	needNXTools(t)
	e := suite.NewEnv(t)
	n := e.Start("--keyboard=clone", "--start=xterm -T clone")
	WaitWindow(t, n, "clone")
	cd := ClientDisplay(t)
	if _, err := exec.LookPath("xpra"); err == nil {
		_, stop := e.srvAttachXpra(t, "socket://"+e.Socket(n), cd, "--keyboard-layout=fr", "--dpi=150")
		WaitFor(t, "the xpra client's layout", func() bool { return xkbQuery(t, n)["layout"] == "fr" })
		WaitFor(t, "the xpra client's DPI", func() bool { return xdpyinfoDPI(t, n) == "150x150" })
		stop()
	} else {
		t.Log("xpra is not installed: only the xroam client is tested")
	}
	e.Attach(cd, "socket://"+e.Socket(n), "--keyboard-layout=de", "--keyboard-variant=nodeadkeys", "--dpi=110")
	WaitFor(t, "the xroam client's layout", func() bool {
		q := xkbQuery(t, n)
		return q["layout"] == "de" && q["variant"] == "nodeadkeys"
	})
	WaitFor(t, "the xroam client's DPI", func() bool { return xdpyinfoDPI(t, n) == "110x110" })
}

// TestOptionsFileGeometry: NX's geometry=WxH sizes the session's screen
// at start and again when an attach finds a new one, and a client's
// desktop no longer resizes it.
func TestOptionsFileGeometry(t *testing.T) {
	t.Parallel()
	needNXTools(t)
	e := suite.NewEnv(t)
	opts := filepath.Join(e.Home, "nx.options")
	if err := os.WriteFile(opts, []byte("geometry=1024x768"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := e.Start("--options-file="+opts, "--start=xterm -T geom -geometry 40x10")
	WaitWindow(t, n, "geom")
	if got := screenSize(t, n); got != "1024x768" {
		t.Fatalf("start: screen %s, want 1024x768", got)
	}
	// A client on a 1000x700 desktop: the geometry holds.
	cd := XdummyDisplay(t)
	if _, _, err := x11.ResizeScreen(context.Background(), fmt.Sprintf(":%d", cd), 1000, 700); err != nil {
		t.Fatal(err)
	}
	a := e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir)
	WaitWindow(t, cd, "geom")
	if got := screenSize(t, n); got != "1024x768" {
		t.Errorf("a client's desktop resized the screen to %s", got)
	}
	a.Cmd.Process.Kill()
	// A new geometry applies at the next attach.
	if err := os.WriteFile(opts, []byte("geometry=800x600"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := nxConnect(t, e.Socket(n), nil)
	defer c.Close()
	WaitFor(t, "the screen to take the re-read geometry", func() bool { return screenSize(t, n) == "800x600" })
}

// TestOptionsFileFullscreen: NX's fullscreen=1 shows a desktop session's
// window fullscreen on the client, and lets the client's desktop size a
// seamless session's screen over geometry=; fullscreen=0 at a later
// attach undoes both.
func TestOptionsFileFullscreen(t *testing.T) {
	t.Parallel()
	needNXTools(t)
	e := suite.NewEnv(t)
	opts := filepath.Join(e.Home, "nx.options")
	write := func(s string) {
		if err := os.WriteFile(opts, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("fullscreen=1")
	n := e.StartVerb("start-desktop", smallXvfb, "--session-name=fsdesk", "--options-file="+opts)
	desk := func(cd int) x11.WindowInfo {
		return WaitWindowOn(t, cd, "the desktop window", func(w x11.WindowInfo) bool {
			return w.Mapped && strings.Contains(w.Title, "fsdesk")
		})
	}
	cd := ClientDisplay(t)
	a := e.Attach(cd, "socket://"+e.Socket(n))
	cw := desk(cd)
	WaitFor(t, "the desktop window to be fullscreen", func() bool {
		return slices.Contains(windowStates(cd, cw.ID), "fullscreen")
	})
	if info := e.MustRun("info", fmt.Sprintf(":%d", n)); !strings.Contains(info, "nx.fullscreen=true\n") {
		t.Errorf("info lacks nx.fullscreen=true:\n%s", GrepLines(info, "nx."))
	}
	a.Cmd.Process.Kill()
	write("fullscreen=0")
	cd2 := ClientDisplay(t)
	e.Attach(cd2, "socket://"+e.Socket(n))
	cw = desk(cd2)
	WaitFor(t, "nx.fullscreen=false", func() bool {
		info, _ := e.Run("info", fmt.Sprintf(":%d", n))
		return strings.Contains(info, "nx.fullscreen=false\n")
	})
	time.Sleep(time.Second)
	if st := windowStates(cd2, cw.ID); slices.Contains(st, "fullscreen") {
		t.Errorf("fullscreen=0: the desktop window is still fullscreen (%v)", st)
	}

	// Seamless: fullscreen=1 wins over geometry=, the client's desktop
	// sizes the screen; fullscreen=0 brings the geometry back.
	write("geometry=800x600,fullscreen=1")
	m := e.Start("--options-file=" + opts)
	if got := screenSize(t, m); got == "800x600" {
		t.Errorf("fullscreen=1: the screen took the geometry %s", got)
	}
	c, _ := nxConnect(t, e.Socket(m), wire.Dict{"desktop_size": []int64{1000, 700}})
	WaitFor(t, "the client's desktop size", func() bool { return screenSize(t, m) == "1000x700" })
	c.Close()
	write("geometry=800x600,fullscreen=0")
	c, _ = nxConnect(t, e.Socket(m), wire.Dict{"desktop_size": []int64{1000, 700}})
	defer c.Close()
	WaitFor(t, "the geometry again", func() bool { return screenSize(t, m) == "800x600" })
}
