// Package x264 is the h264 encoder: whole-window frames of BGRX pixels,
// converted to I420 (BT.601, limited range) and compressed by libx264
// with the ultrafast preset and the zerolatency tune, through
// github.com/gen2brain/x264-go/x264c built with -tags extlib against
// Debian's libx264-dev. It keeps one stream per window: the first frame,
// a new size, an idle gap or a request's "restart" option starts a new
// stream with an IDR frame and frame number 0, which is what makes an
// xpra client reset its decoder. It is served as the plugin binary
// xroam-encoder-x264.
//
// License: libx264 is GPL-2.0-or-later, so the plugin binary that links
// it is distributed under the GPL-2.0 (see packaging/); the rest of
// xroam does not link it and only talks to the plugin over gRPC.
package x264
