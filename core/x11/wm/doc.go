// Package wm is the server's side of X: in seamless mode the server is
// the window manager of its Xvfb (Start); in desktop and shadow mode it
// watches the whole screen as one window (StartDesktop).
//
// One connection owns SubstructureRedirect on the root and runs the only
// event goroutine, turning MapRequest, ConfigureRequest, property, Damage,
// XFixes cursor and XKB bell events into Event values; a second
// connection captures pixels (MIT-SHM GetImage into a SysV segment, which
// xgb can name by id where it cannot pass a file descriptor; plain
// GetImage when the segment cannot be shared) and injects XTest input, so
// that a large capture never delays window management. A pipeline's
// frame segment, which encoders read, is attached to the server too
// (CaptureIntoSegment, until ReleaseSegment), so that the server writes
// a frame where it is encoded instead of the manager copying it there.
// Windows are redirected with Composite (automatic), so a capture reads
// a window's own pixels even where others overlap it.
package wm
