package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/dailywebhooks/events/dialin"
	"github.com/dailywebhooks/events/internal/term"
)

var dialinCommand = &command{
	name:  "dialin",
	short: "create, inspect and change the domain's pinless dial-in configurations with Daily's API",
	long: `Example:

	export DAILY_API_KEY=...            # your Daily API key
	export DAILY_PINLESS_SECRET=$(openssl rand -base64 32)   # the hmac Daily signs the calls with
	dailyhook dialin create -phone-number +12555599999 -room-creation-api https://example.com/dialin
	dailyhook dialin list
	dailyhook dialin get ID -json
	dailyhook dialin update ID -hold-music-url https://example.com/hold.mp3
	dailyhook dialin delete ID

The hmac comes from DAILY_PINLESS_SECRET (its first secret), never from a
flag, and is sent on every write: Daily would otherwise make a new one at
each write, which silently breaks verification. Without it, create and
update generate one, print it once, and say to export it; list and get
never print an hmac. The API key comes from DAILY_API_KEY, Daily's API from
-base-url, else DAILY_API_URL, else https://api.daily.co/v1.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		dialinFlags(fs)
		return nil
	},
	verbs: []*command{
		dialinVerb("list", "", "list the domain's dial-in configurations", nil, func(ctx context.Context, o *dialinOpts, args []string) error {
			if len(args) != 0 {
				return fmt.Errorf("%w: list takes no arguments", errUsage)
			}
			list, err := o.client.ListConfigs(ctx)
			if err != nil {
				return err
			}
			if *o.asJSON {
				return writeJSON(o.e.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(o.e.stdout, "no dial-in configuration")
			}
			for _, c := range list {
				fmt.Fprintf(o.e.stdout, "%s  %-14s %-16s %s\n", term.Safe(c.ID), term.Safe(c.Type), term.Safe(c.PhoneNumber), term.Safe(c.RoomCreationAPI))
			}
			return nil
		}),
		dialinVerb("get", "ID", "print one configuration, without its hmac", nil, oneID(func(ctx context.Context, o *dialinOpts, id string) error {
			c, err := o.client.GetConfig(ctx, id)
			if err != nil {
				return err
			}
			return o.print(c, "")
		})),
		dialinVerb("create", "-phone-number N -room-creation-api URL", "create a pinless dial-in configuration", configFlags, func(ctx context.Context, o *dialinOpts, args []string) error {
			if len(args) != 0 {
				return fmt.Errorf("%w: create takes no arguments", errUsage)
			}
			if *o.phone == "" || *o.roomAPI == "" {
				return fmt.Errorf("%w: create needs -phone-number and -room-creation-api", errUsage)
			}
			if err := checkForwardURL(*o.roomAPI); err != nil {
				return fmt.Errorf("%w: -room-creation-api: %w", errUsage, err)
			}
			cfg := o.config()
			c, err := o.client.CreateConfig(ctx, cfg)
			if err != nil {
				return err
			}
			return o.print(c, generated(cfg, c))
		}),
		dialinVerb("update", "ID", "change a configuration, sending its hmac", configFlags, oneID(func(ctx context.Context, o *dialinOpts, id string) error {
			cfg := o.config()
			c, err := o.client.UpdateConfig(ctx, id, cfg)
			if err != nil {
				return err
			}
			return o.print(c, generated(cfg, c))
		})),
		dialinVerb("delete", "ID", "delete a configuration", nil, oneID(func(ctx context.Context, o *dialinOpts, id string) error {
			if err := o.client.DeleteConfig(ctx, id); err != nil {
				return err
			}
			fmt.Fprintf(o.e.stdout, "deleted %s\n", term.Safe(id))
			return nil
		})),
	},
}

// dialinOpts are the flags of a dialin verb, and what they make.
type dialinOpts struct {
	baseURL                                           func(*env) string
	asJSON                                            *bool
	phone, roomAPI, namePrefix, holdMusic, timeoutMsg *string
	e                                                 *env
	client                                            *dialin.Client
}

// dialinFlags defines the flags every dialin verb has.
func dialinFlags(fs *flag.FlagSet) *dialinOpts {
	return &dialinOpts{
		baseURL: baseURLFlag(fs, dialin.DefaultBaseURL, "Daily's REST API"),
		asJSON:  fs.Bool("json", false, "print Daily's configuration objects as JSON"),
	}
}

// configFlags defines the flags of create and update, as Daily's API names
// the fields.
func configFlags(fs *flag.FlagSet, o *dialinOpts) {
	o.phone = fs.String("phone-number", "", "the number, in E.164 form (+12555599999)")
	o.roomAPI = fs.String("room-creation-api", "", "the URL Daily POSTs each call to")
	o.namePrefix = fs.String("name-prefix", "", "a prefix of the rooms' names")
	o.holdMusic = fs.String("hold-music-url", "", "a public MP3, under 10 MB and 60 s")
	o.timeoutMsg = fs.String("timeout-message", "", "what Daily says to a caller nobody connected in time")
}

// config returns the configuration the flags describe, with the hmac of
// DAILY_PINLESS_SECRET, or none for the client to generate.
func (o *dialinOpts) config() dialin.Config {
	c := dialin.Config{PhoneNumber: *o.phone, RoomCreationAPI: *o.roomAPI, NamePrefix: *o.namePrefix, HoldMusicURL: *o.holdMusic,
		HMAC: first(splitSecrets(o.e.getenv("DAILY_PINLESS_SECRET")))}
	if *o.timeoutMsg != "" {
		c.TimeoutConfig = &dialin.TimeoutConfig{Message: *o.timeoutMsg}
	}
	return c
}

// generated returns the hmac the client generated for a write of sent, or
// "" when sent carried the user's own.
func generated(sent dialin.Config, got *dialin.Config) string {
	if sent.HMAC != "" {
		return ""
	}
	return got.HMAC
}

// print prints c, without its hmac but for one generated now, printed once
// with the line to export it.
func (o *dialinOpts) print(c *dialin.Config, newHMAC string) error {
	if *o.asJSON {
		if newHMAC == "" {
			return writeJSON(o.e.stdout, c)
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		var obj map[string]json.RawMessage
		json.Unmarshal(b, &obj)
		obj["hmac"], _ = json.Marshal(newHMAC)
		return writeJSON(o.e.stdout, obj)
	}
	printConfig(o.e.stdout, c)
	if newHMAC != "" {
		fmt.Fprintf(o.e.stdout, "hmac             %s\n", newHMAC)
		fmt.Fprintf(o.e.stderr, "dailyhook: the hmac was generated and is shown once: export DAILY_PINLESS_SECRET=%s for your receiver, and for later writes\n", newHMAC)
	}
	return nil
}

// printConfig prints c as a summary, without its hmac.
func printConfig(w io.Writer, c *dialin.Config) {
	fmt.Fprintf(w, "id               %s\ntype             %s\nphone_number     %s\nroom_creation_api %s\n",
		term.Safe(c.ID), term.Safe(c.Type), term.Safe(c.PhoneNumber), term.Safe(c.RoomCreationAPI))
	if c.SIPURI != "" {
		fmt.Fprintf(w, "sip_uri          %s\n", term.Safe(c.SIPURI))
	}
}

// dialinVerb returns the dialin verb name, with the shared flags, the
// flags that more defines, and run.
func dialinVerb(name, usage, short string, more func(*flag.FlagSet, *dialinOpts), run func(context.Context, *dialinOpts, []string) error) *command {
	return apiVerb(name, usage, short, dialinFlags, more, func(o *dialinOpts, e *env, key string) {
		o.e, o.client = e, dialin.NewClient(key)
		o.client.BaseURL = o.baseURL(e)
	}, run)
}

// oneID adapts run, of a verb that takes exactly one configuration ID.
func oneID(run func(ctx context.Context, o *dialinOpts, id string) error) func(context.Context, *dialinOpts, []string) error {
	return one("the configuration's ID", run)
}
