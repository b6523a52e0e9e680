package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/xroam/xroam/core/xpra"
)

func screenshotVerb() *Verb {
	return &Verb{
		Name:    "screenshot",
		Args:    "FILE [DISPLAY|URI]",
		Summary: "save the session's windows as a PNG file",
		Description: "Asks the session for a picture of the area its windows cover, as they are composited on its display, " +
			"and writes it to FILE as PNG. A session without windows gives no file and an error.",
		Groups:  []string{"general"},
		MaxArgs: 2,
		Run: func(ctx context.Context, inv *Invocation) error {
			if len(inv.Args) == 0 {
				return &UsageError{Msg: "screenshot needs the file to write"}
			}
			file := inv.Args[0]
			sub := *inv
			sub.Args = inv.Args[1:]
			rc, _, err := request(ctx, &sub, "screenshot")
			if err != nil {
				return err
			}
			defer rc.Close()
			shot, err := xpra.ParseScreenshot(rc.Reply)
			if err != nil {
				return errors.New("the server sent no screenshot")
			}
			w, h, data := shot.Width, shot.Height, shot.Data
			if w == 0 || h == 0 || len(data) == 0 {
				return errors.New("the session has no windows to take a picture of")
			}
			if err := os.WriteFile(file, data, 0o644); err != nil {
				return fmt.Errorf("writing the screenshot: %w", err)
			}
			_, err = fmt.Fprintf(inv.Env.Stdout, "screenshot %dx%d saved to %s\n", w, h, file)
			return err
		},
	}
}
