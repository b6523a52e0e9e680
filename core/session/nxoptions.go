package session

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xroam/xroam/core/x11"
)

// nxOptions are the settings an NX options file gives (nxagent's
// options=FILE: nx/nx options, "key=value,key=value"), already mapped
// onto xroam's options. A nil field was not in the file.
type nxOptions struct {
	Keyboard           *string // --keyboard, from keyboard= or kbtype=
	DPI                *int    // --dpi
	ClipboardDirection *string // --clipboard-direction, from clipboard=
	IdleTimeout        *int    // --idle-timeout, from timeout= (auto-disconnect)
	// Geometry is the session's screen size (geometry=WxH): the screen is
	// resized to it with RandR instead of following the client's desktop.
	Geometry *screenSize
	// Fullscreen (fullscreen=1|0): a desktop session's window fills the
	// client's screen, and the session's screen follows the client's
	// desktop over any geometry=.
	Fullscreen *bool
	// ShadowFullAccess is shadowmode=: a shadow's clients may control
	// the display (1) or only view it (0, NX's default).
	ShadowFullAccess *bool
}

// screenSize is a width and height in pixels; zero is "not set".
type screenSize struct{ W, H int }

// parseGeometry reads NX's geometry=WxH. Window offsets (+X+Y) place
// nxagent's own window and have no meaning for a session screen.
func parseGeometry(v string) (screenSize, error) {
	if strings.ContainsAny(v, "+-") {
		return screenSize{}, fmt.Errorf("geometry: %q: offsets are not supported, give WIDTHxHEIGHT", v)
	}
	ws, hs, ok := strings.Cut(strings.ToLower(v), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w < 64 || h < 64 || w > 16384 || h > 16384 {
		return screenSize{}, fmt.Errorf("geometry: %q is not WIDTHxHEIGHT (64 to 16384 pixels each)", v)
	}
	return screenSize{w, h}, nil
}

// maxOptionsFile bounds what is read: NX files are one line.
const maxOptionsFile = 64 << 10

// nxKnownUnsupported reports the nx/nx options that exist in NX but have
// no meaning in an xroam session; they are refused by name rather than as
// unknown so that the user knows the file was read correctly.
func nxKnownUnsupported(key string) bool {
	switch key {
	case "rootless", "resize", "keyconv", "streaming", "backingstore",
		"composite", "xinerama", "shmem", "shpix", "client", "shadow", "shadowuid",
		"defer", "tile", "menu", "magicpixel", "autodpi", "sleep", "tolerancechecks", "options", "render":
		return true
	}
	return false
}

// readOptionsFile reads and parses an NX options file.
func readOptionsFile(name string) (nxOptions, error) {
	f, err := os.Open(name)
	if err != nil {
		return nxOptions{}, fmt.Errorf("--options-file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxOptionsFile+1))
	if err != nil {
		return nxOptions{}, fmt.Errorf("--options-file %s: %w", name, err)
	}
	if len(b) > maxOptionsFile {
		return nxOptions{}, fmt.Errorf("--options-file %s: larger than %d bytes", name, maxOptionsFile)
	}
	return parseNXOptions(name, b)
}

// parseNXOptions parses "key=value,key=value" (commas or line breaks
// between options, values URL-encoded as NX allows: %2C for a comma).
// Errors name the file, line and column of the offending option.
func parseNXOptions(name string, data []byte) (nxOptions, error) {
	var o nxOptions
	if !utf8.Valid(data) {
		return o, fmt.Errorf("%s: not UTF-8 text", name)
	}
	text := string(data)
	line, col := 1, 1
	start, startLine, startCol := 0, 1, 1
	flush := func(end int) error {
		item := text[start:end]
		lead := len(item) - len(strings.TrimLeft(item, " \t\r"))
		item = strings.TrimSpace(item)
		if item == "" || strings.HasPrefix(item, "#") {
			return nil
		}
		pos := fmt.Sprintf("%s:%d:%d", name, startLine, startCol+lead)
		if err := o.set(item); err != nil {
			return fmt.Errorf("%s: %w", pos, err)
		}
		return nil
	}
	for i, r := range text {
		if r == ',' || r == '\n' {
			if err := flush(i); err != nil {
				return nxOptions{}, err
			}
			start = i + 1
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
			startLine, startCol = line, col
			continue
		}
		col++
	}
	if err := flush(len(text)); err != nil {
		return nxOptions{}, err
	}
	return o, nil
}

// set applies one key=value item.
func (o *nxOptions) set(item string) error {
	if item == "nx/nx" || item == "nx" {
		// The DISPLAY form's prefix (nx/nx,option=...): nothing to set.
		return nil
	}
	key, raw, ok := strings.Cut(item, "=")
	key = strings.TrimSpace(key)
	if !ok {
		return fmt.Errorf("%q is not key=value", item)
	}
	val, err := url.PathUnescape(strings.TrimSpace(raw))
	if err != nil {
		return fmt.Errorf("%s: bad URL encoding in %q", key, raw)
	}
	switch key {
	case "keyboard", "kbtype":
		if _, err := parseKeyboardSpec(val); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		o.Keyboard = &val
	case "dpi":
		n, err := strconv.Atoi(val)
		if err != nil || n < x11.MinDPI || n > x11.MaxDPI {
			return fmt.Errorf("dpi: %q is not a number from %d to %d", val, x11.MinDPI, x11.MaxDPI)
		}
		o.DPI = &n
	case "clipboard":
		dir, ok := map[string]string{"both": "both", "client": "to-server", "server": "to-client", "none": "disabled"}[val]
		if !ok {
			return fmt.Errorf("clipboard: %q is not both, client, server or none", val)
		}
		o.ClipboardDirection = &dir
	case "geometry":
		g, err := parseGeometry(val)
		if err != nil {
			return err
		}
		o.Geometry = &g
	case "fullscreen":
		var on bool
		switch strings.ToLower(val) {
		case "1", "true", "yes", "on":
			on = true
		case "0", "false", "no", "off":
		default:
			return fmt.Errorf("fullscreen: %q is not 1 or 0", val)
		}
		o.Fullscreen = &on
	case "timeout":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return fmt.Errorf("timeout: %q is not a number of seconds", val)
		}
		o.IdleTimeout = &n
	case "shadowmode":
		full, ok := map[string]bool{"0": false, "1": true}[val]
		if !ok {
			return fmt.Errorf("shadowmode: %q is not 0 (view only) or 1 (full access)", val)
		}
		o.ShadowFullAccess = &full
	default:
		if nxKnownUnsupported(key) {
			return fmt.Errorf("the NX option %q has no xroam equivalent", key)
		}
		return fmt.Errorf("unknown NX option %q (xroam reads keyboard, kbtype, clipboard, dpi, geometry, fullscreen, timeout and shadowmode)", key)
	}
	return nil
}
