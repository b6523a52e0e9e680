package modules

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/xroam/xroam/sdk/plugintest"
	"github.com/xroam/xroam/sdk/transport"
)

// wwwTree builds a directory to serve and, beside it, a secret that no
// request may read.
func wwwTree(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	root := filepath.Join(base, "www")
	shared := filepath.Join(base, "shared")
	for _, d := range []string{outside, root, filepath.Join(root, "sub"), filepath.Join(root, "empty"), filepath.Join(root, ".git"), filepath.Join(shared, "lib")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(outside, "shadow"):           "SECRET-OUTSIDE",
		filepath.Join(root, "index.html"):          "INDEX",
		filepath.Join(root, "app.js"):              "APP",
		filepath.Join(root, "sub", "index.html"):   "SUBINDEX",
		filepath.Join(root, "sub", ".hidden"):      "SECRET-HIDDEN",
		filepath.Join(root, ".secret"):             "SECRET-DOT",
		filepath.Join(root, ".git", "config"):      "SECRET-GIT",
		filepath.Join(root, "empty", "notes.txt"):  "NOTES",
		filepath.Join(shared, "lib", "x.js"):       "SHAREDJS",
		filepath.Join(shared, "lib", ".hidden.js"): "SECRET-SHARED-DOT",
	}
	for p, s := range files {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		filepath.Join(root, "etclink"):  outside,
		filepath.Join(root, "outfile"):  filepath.Join(outside, "shadow"),
		filepath.Join(root, "abslink"):  "/etc",
		filepath.Join(root, "samelink"): "app.js",
		// As Debian's packaged HTML5 clients link to /usr/share/javascript.
		filepath.Join(root, "sub", "sharedrel"): "../../shared/lib/x.js",
		filepath.Join(root, "sharedabs"):        filepath.Join(shared, "lib", "x.js"),
		filepath.Join(root, "shareddot"):        filepath.Join(shared, "lib", ".hidden.js"),
		filepath.Join(root, "shareddir"):        filepath.Join(shared, "lib"),
		filepath.Join(root, "sharedout"):        filepath.Join(shared, "..", "outside", "shadow"),
	}
	for p, target := range links {
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestWWWServesOnlyRegularFilesInside: --html=DIR gives the files below
// DIR and nothing else: no symlink or ".." out of it, no dotfiles, no
// directory listings, no FIFO (which would also block the open).
func TestWWWServesOnlyRegularFilesInside(t *testing.T) {
	root := wwwTree(t)
	h, err := htmlHandler(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		code         int
		body         string // for 200
		location     string // for 301
	}{
		{"GET", "/", 200, "INDEX", ""},
		{"GET", "/index.html", 200, "INDEX", ""},
		{"HEAD", "/app.js", 200, "", ""},
		{"GET", "/app.js", 200, "APP", ""},
		{"GET", "//app.js", 200, "APP", ""},
		{"GET", "/samelink", 200, "APP", ""},
		{"GET", "/sub/", 200, "SUBINDEX", ""},
		{"GET", "/sub", 301, "", "/sub/"},
		{"GET", "/empty/", 404, "", ""},
		{"GET", "/empty", 404, "", ""},
		{"GET", "/empty/notes.txt", 200, "NOTES", ""},
		{"GET", "/.secret", 404, "", ""},
		{"GET", "/sub/.hidden", 404, "", ""},
		{"GET", "/.git/config", 404, "", ""},
		{"GET", "/.git/", 404, "", ""},
		{"GET", "/etclink/shadow", 404, "", ""},
		{"GET", "/etclink/", 404, "", ""},
		{"GET", "/outfile", 404, "", ""},
		{"GET", "/abslink/passwd", 404, "", ""},
		{"GET", "/sharedabs", 404, "", ""}, // not below /usr/share/javascript
		{"GET", "/../outside/shadow", 404, "", ""},
		{"GET", "/sub/../../outside/shadow", 404, "", ""},
		{"GET", "/%2e%2e/outside/shadow", 404, "", ""},
		{"GET", "/sub/%2e%2e/app.js", 404, "", ""},
		{"GET", "/fifo", 404, "", ""},
		{"GET", "/missing", 404, "", ""},
		{"POST", "/app.js", 405, "", ""},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(tc.method, "http://localhost"+tc.path, nil)
		done := make(chan struct{})
		go func() { h.ServeHTTP(rec, req); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s %s: no answer", tc.method, tc.path)
		}
		body := rec.Body.String()
		if rec.Code != tc.code {
			t.Errorf("%s %s: status %d, want %d (body %q)", tc.method, tc.path, rec.Code, tc.code, body)
			continue
		}
		if tc.code == 200 && body != tc.body {
			t.Errorf("%s %s: body %q, want %q", tc.method, tc.path, body, tc.body)
		}
		if tc.location != "" && rec.Header().Get("Location") != tc.location {
			t.Errorf("%s %s: Location %q, want %q", tc.method, tc.path, rec.Header().Get("Location"), tc.location)
		}
	}
}

// TestWWWSharedLibraries: a symlink may lead to a file of the shared
// JavaScript directory, and nowhere else outside the served one.
func TestWWWSharedLibraries(t *testing.T) {
	root := wwwTree(t)
	h, err := newWWWHandler(root, filepath.Join(filepath.Dir(root), "shared"))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{
		"/sub/sharedrel": 200, "/sharedabs": 200, "/shareddot": 404, "/shareddir": 404,
		"/shareddir/x.js": 404, "/sharedout": 404, "/etclink/shadow": 404, "/outfile": 404, "/app.js": 200,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://localhost"+path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d %q, want %d", path, rec.Code, rec.Body.String(), want)
		}
		if want == 200 && path != "/app.js" && rec.Body.String() != "SHAREDJS" {
			t.Errorf("GET %s: %q", path, rec.Body.String())
		}
	}
	// Debian's xpra HTML5 client links its jQuery into /usr/share/javascript.
	const xpraWWW = "/usr/share/xpra/www"
	if _, err := os.Stat(xpraWWW + "/js/lib/jquery.js"); err == nil {
		h, err := htmlHandler(xpraWWW)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://localhost/js/lib/jquery.js", nil))
		if rec.Code != 200 || rec.Body.Len() == 0 {
			t.Errorf("xpra's jquery.js: %d", rec.Code)
		}
	}
}

// TestWWWOverSocket asks the ws transport, listening on a real socket,
// for a file through a symlink out of its --html directory, a dotfile
// and a directory, and for a file it serves.
func TestWWWOverSocket(t *testing.T) {
	root := wwwTree(t)
	h := plugintest.Transport(t, WS(), map[string]any{AttrHTML: root, AttrSSL: "off"})
	resp, err := h.Listen(context.Background(), transport.Bind{SocketType: transport.WS, Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + resp.Addresses[0]
	hc := &http.Client{Timeout: 30 * time.Second}
	for path, want := range map[string]int{"/app.js": 200, "/etclink/shadow": 404, "/.secret": 404, "/empty/": 404} {
		r, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != want {
			t.Errorf("GET %s: %d %q, want %d", path, r.StatusCode, b, want)
		}
		if want == 200 && string(b) != "APP" {
			t.Errorf("GET %s: %q", path, b)
		}
	}
}
