package session

import (
	"strings"

	"github.com/xroam/xroam/core/wire"
)

// pluginOf names the encoder plugin that serves an xpra encoding: the
// variants of an encoding ("png/P", "png/L") come from the plugin of the
// base name, so that one subprocess serves them all; h264 comes from the
// x264 plugin, vp8 and vp9 from the vpx plugin.
func pluginOf(encoding string) string {
	switch encoding {
	case "h264":
		return "x264"
	case "vp8", "vp9":
		return "vpx"
	}
	base, _, _ := strings.Cut(encoding, "/")
	return base
}

// pictureSpeed is the speed the encoders are asked for: the server's
// --speed unless 0, else the one the client's hello asks for ("speed" or
// "encoding.speed"), else 0 (the encoder's default).
func pictureSpeed(server int, caps wire.Dict) int {
	if server > 0 {
		return min(server, 100)
	}
	for _, k := range []string{"speed", "encoding.speed"} {
		if v := caps.Int(k, 0); v > 0 {
			return int(min(v, 100))
		}
	}
	return 0
}
