// Package modules holds xroam's clipboard backends as plugin.Clipboard
// values, so that the same code runs as a plugin binary (plugins/clipboard/x11)
// and in-process when no binary is installed.
//
// The x11 backend keeps the selections of one display through core/x11's
// Selections (its own X connection and event goroutine) and adds what the
// plugin protocol needs: one event subscriber at a time, and requests that
// arrive with no subscriber refused at once rather than left to time out.
package modules
