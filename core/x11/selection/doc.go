// Package selection owns and reads X selections (CLIPBOARD, PRIMARY,
// SECONDARY) on one display, INCR transfers included, for the x11
// clipboard backend (plugins/clipboard/modules). A Conn has its own X
// connection and one event goroutine, and never waits on a local
// application without a timeout.
package selection
