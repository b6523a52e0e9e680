// Command rfbshadow measures RFB shadowing of a 1920x1080 display with a
// video-like changing region: the frame rate an RFB client receives, the
// bytes it takes and the CPU the server burns, for `xroam shadow
// --bind-rfb` and for x11vnc in the same run, on the same display and
// the same painted frames.
//
// usage: go run ./bench/rfbshadow -xroam PATH [-seconds 5] [-runs 3] [-encoding tight|zrle|raw]
package main
