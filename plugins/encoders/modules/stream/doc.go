// Package stream keeps the per-window streams of the video encoder
// plugins (x264, vpx): one open codec stream per window, found by the
// request's "stream" option, reopened when what it was opened for
// changes, when the core asks ("restart") or after an idle gap, and
// closed when its window has been idle. The codecs keep their own frame
// counters and C handles; this package only decides when a stream is
// opened, reused or closed.
package stream
