package modules

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// SharedJS is where Debian keeps the JavaScript libraries that packaged
// HTML5 clients link to (xpra's www/js/lib/jquery.js is a symlink into
// it): the one place outside the --html directory a symlink may lead.
const SharedJS = "/usr/share/javascript"

// wwwHandler serves the regular files below one directory to anyone who
// can reach a websocket port, so it gives away nothing else: files are
// opened through an os.Root (no symlink or ".." leads out of the
// directory, except a symlink to a file of the shared directory, opened
// through a root of its own), names with an element that starts with "."
// (dotfiles, ".." and ".") are not found, a directory serves its
// index.html and is never listed, and FIFOs, devices and sockets are not
// found either.
type wwwHandler struct {
	root *os.Root
	dir  string // the root's real path, for symlink targets

	shared    *os.Root // nil without the shared directory
	sharedDir string
}

func newWWWHandler(dir, sharedDir string) (*wwwHandler, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	if real, err = filepath.Abs(real); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(real)
	if err != nil {
		return nil, err
	}
	h := &wwwHandler{root: root, dir: real}
	if sharedDir != "" {
		if shared, err := os.OpenRoot(sharedDir); err == nil {
			h.shared, h.sharedDir = shared, filepath.Clean(sharedDir)
		}
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *wwwHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := wwwName(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	f, st, err := h.open(name)
	if errors.Is(err, errIsDir) {
		f, st, err = h.open(path.Join(name, "index.html"))
		if err == nil && !strings.HasSuffix(r.URL.Path, "/") {
			// Relative links in the index resolve against the directory.
			f.Close()
			// The target is built from the checked name, so that a
			// path such as "//host" cannot redirect off the server.
			http.Redirect(w, r, strings.TrimSuffix("/"+name, "/.")+"/", http.StatusMovedPermanently)
			return
		}
	}
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	http.ServeContent(w, r, st.Name(), st.ModTime(), f)
}

var errIsDir = errors.New("is a directory")

// open opens a regular file of the root, or the shared directory's file
// that a symlink of the root names.
func (h *wwwHandler) open(name string) (*os.File, fs.FileInfo, error) {
	f, st, err := openRegular(h.root, name)
	if err == nil || errors.Is(err, errIsDir) || h.shared == nil {
		return f, st, err
	}
	rel, ok := h.sharedTarget(name)
	if !ok {
		return nil, nil, err
	}
	if f, st, serr := openRegular(h.shared, rel); serr == nil {
		return f, st, nil
	} else if !errors.Is(serr, errIsDir) {
		return nil, nil, serr
	}
	return nil, nil, err
}

// sharedTarget is where the symlink name of the root points, relative to
// the shared directory, when it points into it.
func (h *wwwHandler) sharedTarget(name string) (string, bool) {
	target, err := h.root.Readlink(name)
	if err != nil {
		return "", false
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(h.dir, filepath.Dir(name), target)
	}
	rel, ok := strings.CutPrefix(filepath.Clean(target), h.sharedDir+"/")
	if !ok {
		return "", false
	}
	return wwwName("/" + rel)
}

// openRegular opens a regular file of root. O_NONBLOCK keeps a FIFO that
// turned up in place of a checked file from blocking the open.
func openRegular(root *os.Root, name string) (*os.File, fs.FileInfo, error) {
	st, err := root.Stat(name)
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		return nil, nil, errIsDir
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: not a regular file", name)
	}
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	// The name may have been replaced between Stat and OpenFile.
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: not a regular file", name)
	}
	return f, st, nil
}

// wwwName turns a URL path into a name relative to the root: "." for the
// root itself, false for a path with an element that starts with "." or
// holds a NUL or backslash.
func wwwName(p string) (string, bool) {
	var elems []string
	for _, e := range strings.Split(p, "/") {
		if e == "" {
			continue
		}
		if strings.HasPrefix(e, ".") || strings.ContainsAny(e, "\x00\\") {
			return "", false
		}
		elems = append(elems, e)
	}
	if len(elems) == 0 {
		return ".", true
	}
	return strings.Join(elems, "/"), true
}
