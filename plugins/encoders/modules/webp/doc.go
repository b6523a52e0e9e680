// Package webp is the webp encoder: a frame of BGRX or BGRA pixels
// written as a WebP picture through github.com/gen2brain/webp, which
// runs the system's libwebp when its development link (libwebp.so) is
// installed and a pure-Go build of libwebp otherwise, so the plugin needs
// no cgo. Quality 100 (xpra's meaning of "lossless") or the option
// lossless = true gives lossless pictures; below that it is lossy. It is
// served as the plugin binary xroam-encoder-webp.
package webp
