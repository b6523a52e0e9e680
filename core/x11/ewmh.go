package x11

// NetWMState is an xpra state name and its _NET_WM_STATE atoms; a
// state with two atoms is set when both are.
type NetWMState struct {
	Name  string
	Atoms []string
}

// NetWMStates is the table of the states xroam carries, in the order of
// xpra's names.
func NetWMStates() []NetWMState {
	return []NetWMState{
		{"above", []string{"_NET_WM_STATE_ABOVE"}},
		{"below", []string{"_NET_WM_STATE_BELOW"}},
		{"fullscreen", []string{"_NET_WM_STATE_FULLSCREEN"}},
		{"iconic", []string{"_NET_WM_STATE_HIDDEN"}},
		{"maximized", []string{"_NET_WM_STATE_MAXIMIZED_VERT", "_NET_WM_STATE_MAXIMIZED_HORZ"}},
		{"modal", []string{"_NET_WM_STATE_MODAL"}},
		{"shaded", []string{"_NET_WM_STATE_SHADED"}},
		{"skip-pager", []string{"_NET_WM_STATE_SKIP_PAGER"}},
		{"skip-taskbar", []string{"_NET_WM_STATE_SKIP_TASKBAR"}},
		{"sticky", []string{"_NET_WM_STATE_STICKY"}},
	}
}

// WindowStateNames are the state names SetStates understands.
func WindowStateNames() []string {
	states := NetWMStates()
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = s.Name
	}
	return out
}
