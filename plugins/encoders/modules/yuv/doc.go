// Package yuv converts the BGRX pictures that the core captures into the
// planar 4:2:0 pictures that the video encoders (x264, vpx) take, so that
// every video encoder sees the same colours.
package yuv
