// Package vpx is the vp8 and vp9 encoder plugin: every window has its
// own libvpx stream (keyed by the request's "stream" option), restarted
// with a key frame when the window's size changes, when the core asks
// for it ("restart") or after it has been idle. libvpx is called through
// a small cgo wrapper of vpx_codec_enc_init, vpx_codec_encode and
// vpx_codec_get_cx_data, tuned for real time.
package vpx
