// Package stream holds what the video encoder plugins (x264, vpx) share:
// their per-window streams, one open codec stream per window found by
// the request's "stream" option, reopened when what it was opened for
// changes, when the core asks ("restart") or after an idle gap, and
// closed when its window has been idle; and the configuration and frame
// checks they have in common. The codecs keep their own frame counters
// and C handles; this package only decides when a stream is opened,
// reused or closed.
package stream
