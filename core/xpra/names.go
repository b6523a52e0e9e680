package xpra

import (
	"strings"

	"github.com/xroam/xroam/core/wire"
)

// ProtocolVersion is the xpra protocol version xroam speaks. Peers compare
// it with their own; xroam's release is sent separately as xroam.version.
const ProtocolVersion = "3.1.3"

// Packet type names, as xpra 3.1.3 spells them (modern peers accept them
// too in their backwards-compatible mode).
//
// xpra 6.4+ peers that list "packet-types" in their hello use prefixed
// names for some of these (window-create, window-draw, pointer-motion,
// ...). The per-peer table that translates between the two belongs
// beside this block, applied where a connection writes and reads
// packets, so that the structs and their callers keep these names.
const (
	TypeHello      = "hello"
	TypePing       = "ping"
	TypePingEcho   = "ping_echo"
	TypeDisconnect = "disconnect"
	TypeSetDeflate = "set_deflate"
	TypeChallenge  = "challenge"

	TypeStartupComplete = "startup-complete"
	TypeInfoRequest     = "info-request"
	TypeInfoResponse    = "info-response"
	TypeScreenshot      = "screenshot"
	TypeShutdownServer  = "shutdown-server"
	TypeExitServer      = "exit-server"
	TypeSettingChange   = "setting-change"
	TypeDesktopSize     = "desktop_size"
	TypeBandwidthLimit  = "bandwidth-limit"
	TypeLayoutChanged   = "layout-changed"
	TypeKeyboardSync    = "set-keyboard-sync-enabled"

	TypeNewWindow                 = "new-window"
	TypeNewOverrideRedirect       = "new-override-redirect"
	TypeWindowMetadata            = "window-metadata"
	TypeWindowResized             = "window-resized"
	TypeWindowMoveResize          = "window-move-resize"
	TypeConfigureOverrideRedirect = "configure-override-redirect"
	TypeLostWindow                = "lost-window"
	TypeRaiseWindow               = "raise-window"
	TypeWindowIcon                = "window-icon"
	TypeCursor                    = "cursor"
	TypeBell                      = "bell"
	TypeDraw                      = "draw"
	TypeDamageSequence            = "damage-sequence"
	TypeMapWindow                 = "map-window"
	TypeUnmapWindow               = "unmap-window"
	TypeConfigureWindow           = "configure-window"
	TypeCloseWindow               = "close-window"
	TypeBufferRefresh             = "buffer-refresh"
	TypeFocus                     = "focus"

	TypePointerPosition = "pointer-position"
	TypeButtonAction    = "button-action"
	TypeKeyAction       = "key-action"

	TypeClipboardToken            = "clipboard-token"
	TypeClipboardRequest          = "clipboard-request"
	TypeClipboardContents         = "clipboard-contents"
	TypeClipboardContentsNone     = "clipboard-contents-none"
	TypeClipboardPendingRequests  = "clipboard-pending-requests"
	TypeClipboardEnableSelections = "clipboard-enable-selections"
	TypeSetClipboardEnabled       = "set-clipboard-enabled"
	TypeClipboardLoopUUIDs        = "clipboard-loop-uuids"
)

// Names lists the packet types above, for tables keyed by packet type.
func Names() []string {
	return []string{
		TypeHello, TypePing, TypePingEcho, TypeDisconnect, TypeSetDeflate, TypeChallenge,
		TypeStartupComplete, TypeInfoRequest, TypeInfoResponse, TypeScreenshot, TypeShutdownServer,
		TypeExitServer, TypeSettingChange, TypeDesktopSize, TypeBandwidthLimit, TypeLayoutChanged,
		TypeKeyboardSync,
		TypeNewWindow, TypeNewOverrideRedirect, TypeWindowMetadata, TypeWindowResized,
		TypeWindowMoveResize, TypeConfigureOverrideRedirect, TypeLostWindow, TypeRaiseWindow,
		TypeWindowIcon, TypeCursor, TypeBell, TypeDraw, TypeDamageSequence, TypeMapWindow,
		TypeUnmapWindow, TypeConfigureWindow, TypeCloseWindow, TypeBufferRefresh, TypeFocus,
		TypePointerPosition, TypeButtonAction, TypeKeyAction,
		TypeClipboardToken, TypeClipboardRequest, TypeClipboardContents, TypeClipboardContentsNone,
		TypeClipboardPendingRequests, TypeClipboardEnableSelections, TypeSetClipboardEnabled,
		TypeClipboardLoopUUIDs,
	}
}

// Disconnect reasons, exactly as xpra 3.1.3 spells them (xpra/util.py).
// Peers treat a reason containing "error" or "timeout" (except
// IdleTimeout) as a failure; see DisconnectIsError.
const (
	// timeouts
	ReasonClientPingTimeout = "client ping timeout"
	ReasonLoginTimeout      = "login timeout"
	ReasonClientExitTimeout = "client exit timeout"
	// errors
	ReasonProtocolError       = "protocol error"
	ReasonVersionError        = "version error"
	ReasonControlCommandError = "control command error"
	ReasonAuthenticationError = "authentication error"
	ReasonPermissionError     = "permission error"
	ReasonServerError         = "server error"
	ReasonSessionNotFound     = "session not found error"
	// informational
	ReasonDone           = "done"
	ReasonServerExit     = "server exit"
	ReasonServerUpgrade  = "server upgrade"
	ReasonServerShutdown = "server shutdown"
	ReasonClientRequest  = "client request"
	ReasonDetachRequest  = "detach request"
	ReasonNewClient      = "new client"
	ReasonIdleTimeout    = "idle timeout"
	ReasonSessionBusy    = "session busy"
	// client telling the server
	ReasonClientExit = "client exit"

	// Free-text reason sent by the 3.1.3 server on a failed challenge
	// (not part of the constant table).
	ReasonAuthenticationFailed = "authentication failed"
)

// DisconnectIsError reports whether xpra would treat reason as a failure.
func DisconnectIsError(reason string) bool {
	return strings.Contains(reason, "error") || (strings.Contains(reason, "timeout") && reason != ReasonIdleTimeout)
}

// The request kinds of command-line clients: the hello's "request" value
// (and, for older clients, "<kind>_request": True).
const (
	RequestInfo        = "info"
	RequestVersion     = "version"
	RequestStop        = "stop"
	RequestExit        = "exit"
	RequestDetach      = "detach"
	RequestScreenshot  = "screenshot"
	RequestEvent       = "event"
	RequestPrint       = "print"
	RequestID          = "id"
	RequestConnectTest = "connect_test"
	RequestCommand     = "command"
)

// RequestKind reads what a command-line client asks for, from the request
// string or the legacy booleans of older clients ("" for a session
// client).
func RequestKind(caps wire.Dict) string {
	if r := caps.Str("request", ""); r != "" {
		return r
	}
	for _, k := range []string{RequestInfo, RequestVersion, RequestStop, RequestExit, RequestDetach, RequestScreenshot, RequestEvent, RequestPrint, RequestID} {
		if caps.Bool(k+"_request", false) {
			return k
		}
	}
	if caps.Has("connect_test_request") {
		return RequestConnectTest
	}
	if caps.Has("command_request") {
		return RequestCommand
	}
	return ""
}
