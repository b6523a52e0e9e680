package client

import "strings"

// DefaultTitle is the window title template used when --title is empty.
const DefaultTitle = "@title@ on @client-machine@"

// titleVars are the values a title template can use.
type titleVars struct {
	title, clientMachine, serverMachine, sessionName string
}

// expandTitle fills in a --title template: @title@ is the remote window's
// title, @client-machine@ the machine the application runs on (as the
// application says, else the server's hostname), @server-machine@ the
// server's hostname and @session-name@ the session's name.
func expandTitle(template string, v titleVars) string {
	if template == "" {
		template = DefaultTitle
	}
	cm := v.clientMachine
	if cm == "" {
		cm = v.serverMachine
	}
	return strings.NewReplacer(
		"@title@", v.title,
		"@client-machine@", cm,
		"@server-machine@", v.serverMachine,
		"@session-name@", v.sessionName,
	).Replace(template)
}
