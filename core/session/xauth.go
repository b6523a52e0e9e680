package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/sockdir"
	"github.com/xroam/xroam/core/x11"
)

// authFileName is the session's X authority file in its session
// directory: what its commands, its plugins and the server itself read as
// XAUTHORITY, and where a server taking the display over (--use-display,
// upgrade) finds the cookie.
const authFileName = "xauthority"

// displayAuth is how the session's display lets its owner in and nobody
// else: an MIT-MAGIC-COOKIE-1 that Xvfb requires (see x11.XvfbConfig.Cookie),
// kept in the session directory and added to the owner's own authority
// file, as xpra does, so that the owner's X tools open the display as
// before.
type displayAuth struct {
	// file is the XAUTHORITY of the server, its commands and its plugins;
	// empty leaves the one of the environment (shadow, a display that
	// has no cookie of ours).
	file string
	// entry is the session's cookie; its Data is nil when the display's
	// authority is not the session's (shadow, or --xvfb with -auth).
	entry x11.AuthEntry
	// owner is the owner's authority file ($XAUTHORITY, else
	// ~/.Xauthority, as the server found it at start), and added says
	// whether entry went into it.
	owner string
	added bool

	// users are the copies of file made for commands that run as another
	// user (see userAuthFile), by uid; mu guards it, as control requests
	// come from any connection.
	mu    sync.Mutex
	users map[uint32]string
}

// prepareDisplayAuth decides the new X server's authority before it
// starts: a fresh cookie, unless the --xvfb command line brings its own
// -auth, which is then the XAUTHORITY of everything in the session.
func (s *Server) prepareDisplayAuth(command string) ([]byte, error) {
	s.xauth.owner = x11.UserAuthority(s.getenv)
	argv, err := config.SplitCommand(command)
	if err != nil {
		return nil, nil // StartXvfb reports it
	}
	if p, ok := x11.XvfbAuthFile(argv); ok {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		s.xauth.file = p
		s.log.Info("the X server command has its own -auth: using it as the session's XAUTHORITY", "xauthority", p)
		return nil, s.setAuthEnv()
	}
	return x11.NewCookie()
}

// publishDisplayAuth writes the cookie of the display now started to the
// session directory and the owner's authority file. Failing to write the
// owner's file is not fatal: the session works, and the owner can use the
// session's file.
func (s *Server) publishDisplayAuth(ctx context.Context, cookie []byte) error {
	e, err := x11.CookieEntry(s.display, cookie)
	if err != nil {
		return err
	}
	dir := sockdir.SessionDir(s.socketDir, s.display)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("session directory: %w", err)
	}
	file := filepath.Join(dir, authFileName)
	if err := x11.WriteAuthFile(file, []x11.AuthEntry{e}); err != nil {
		return err
	}
	s.xauth.file, s.xauth.entry = file, e
	if err := s.setAuthEnv(); err != nil {
		return err
	}
	s.addOwnerAuth(ctx)
	return nil
}

// adoptDisplayAuth takes over the cookie of a display that a previous
// server started (--use-display, upgrade). A display without one (its X
// server was started without -auth, or by something else) is opened with
// the environment's authority, as before.
func (s *Server) adoptDisplayAuth(ctx context.Context) error {
	s.xauth.owner = x11.UserAuthority(s.getenv)
	file := filepath.Join(sockdir.SessionDir(s.socketDir, s.display), authFileName)
	entries, err := x11.ReadAuthFile(file)
	if err != nil {
		return fmt.Errorf("--use-display: %w", err)
	}
	for _, e := range entries {
		if e.Name == x11.CookieAuthName && len(e.Data) == x11.CookieLen {
			s.xauth.file, s.xauth.entry = file, e
			if err := s.setAuthEnv(); err != nil {
				return err
			}
			s.addOwnerAuth(ctx)
			return nil
		}
	}
	return nil
}

// setAuthEnv makes the session's authority file this process's
// XAUTHORITY. The process serves one session, and its X connections are
// made by xgb (which reads the variable itself, in-process and in the
// clipboard plugin, which is passed it) as well as by every command
// started: one variable reaches them all.
func (s *Server) setAuthEnv() error {
	if err := os.Setenv("XAUTHORITY", s.xauth.file); err != nil {
		return fmt.Errorf("XAUTHORITY: %w", err)
	}
	return nil
}

func (s *Server) addOwnerAuth(ctx context.Context) {
	a := &s.xauth
	if a.owner == "" || a.owner == a.file {
		s.log.Warn("no $XAUTHORITY or $HOME to add the display's cookie to: X clients outside the session need the session's XAUTHORITY", "session-xauthority", a.file)
		return
	}
	if err := x11.AddAuthority(ctx, a.owner, a.entry); err != nil {
		s.log.Warn("could not add the display's cookie to the owner's X authority: X clients outside the session need the session's XAUTHORITY", "session-xauthority", a.file, "err", err)
		return
	}
	a.added = true
	s.log.Info("the display needs its cookie: added it to the owner's X authority", "xauthority", a.owner, "session-xauthority", a.file)
}

// withdrawDisplayAuth removes the cookie from the owner's authority file
// once the display is gone, so that entries of dead sessions do not pile
// up there (xpra leaves them). An entry that a newer session on the same
// display has replaced is kept.
func (s *Server) withdrawDisplayAuth() {
	a := &s.xauth
	if !a.added {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := x11.RemoveAuthority(ctx, a.owner, a.entry); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("could not remove the display's cookie from the owner's X authority", "xauthority", a.owner, "err", err)
	}
	a.added = false
}

// userAuthFile returns the XAUTHORITY of a command that runs as another
// user (a root server starting a command for the user a login named):
// that user cannot read the session's own file, which is the server's
// and lies in its 0700 directory, so it gets a copy of its own, mode
// 0600 in /tmp (which every user can reach; the name is random, made
// with O_EXCL). The copy is removed when the session stops; after exit
// or upgrade it stays, as the commands that read it run on. It returns ""
// when the display's authority is the environment's (shadow).
func (s *Server) userAuthFile(uid, gid uint32) (string, error) {
	a := &s.xauth
	if a.file == "" {
		return "", nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := a.users[uid]; ok {
		if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	entries, err := x11.ReadAuthFile(a.file)
	if err != nil {
		return "", err
	}
	b, err := x11.EncodeAuthority(entries)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("/tmp", fmt.Sprintf("xroam-%d-uid%d-*.xauthority", s.display, uid))
	if err != nil {
		return "", fmt.Errorf("x authority for uid %d: %w", uid, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Chown(int(uid), int(gid))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("x authority for uid %d: %w", uid, err)
	}
	if a.users == nil {
		a.users = map[uint32]string{}
	}
	a.users[uid] = f.Name()
	return f.Name(), nil
}

// removeUserAuthFiles removes the copies userAuthFile made.
func (s *Server) removeUserAuthFiles() {
	a := &s.xauth
	a.mu.Lock()
	defer a.mu.Unlock()
	for uid, p := range a.users {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("could not remove a user's copy of the X authority", "uid", uid, "path", p, "err", err)
		}
		delete(a.users, uid)
	}
}

func (s *Server) getenv(k string) string {
	if s.opts.Getenv != nil {
		return s.opts.Getenv(k)
	}
	return os.Getenv(k)
}
