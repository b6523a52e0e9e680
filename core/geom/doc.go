// Package geom holds the plain geometry that both the X side and the
// framebuffer side of xroam speak: a rectangle of pixels. It imports
// nothing, so that core/x11/wm, core/rfb, core/pipeline and core/client
// can share one Rect without importing each other.
package geom
