package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/pipecat"
)

var verifyCommand = &command{
	name:  "verify",
	usage: "[-pinless | -pipecat -id ID] -timestamp T -signature S [FILE | -]",
	short: "say whether a captured delivery is authentic, and if not why",
	long: `Example:

	export DAILY_WEBHOOK_SECRET=...   # the webhook's hmac; several, comma-separated, while rotating
	dailyhook verify -timestamp 1708526033 -signature '/YQ1+UYf...=' captured.json

	export DAILY_PINLESS_SECRET=...   # the pinless dial-in configuration's hmac
	dailyhook verify -pinless -timestamp 1744186319 -signature 'VG10QNZs...=' call.json

	export PIPECAT_WEBHOOK_SECRET=whsec_...   # the Pipecat Cloud endpoint's signing secret
	dailyhook verify -pipecat -id msg_2tGq... -timestamp 1744186319 -signature 'v1,hAnV...=' delivery.json

It exits 0 when the delivery is authentic, and says so; one signed longer
ago than the tolerance is authentic all the same, and it says that a
receiver would now refuse it as stale. It exits 1 when the signature
matches nothing, and says "not authentic", naming what it found, or
saying that it found nothing: the secret is not
base64, a header was cut or changed, the timestamp is outside the
tolerance (so long ago, or so far ahead), a trailing newline was added or
removed, the JSON was pretty-printed, compacted, or had its keys sorted or
reordered from Daily's order, or the signature was made over the
millisecond or second form of the timestamp. -pinless checks a call to a
pinless dial-in room_creation_api (X-Pinless-Timestamp, X-Pinless-Signature)
with the secrets of DAILY_PINLESS_SECRET. -pipecat checks a delivery of
Pipecat Cloud's webhooks (webhook-id, webhook-timestamp and
webhook-signature, or the same under svix-) with the secrets of
PIPECAT_WEBHOOK_SECRET; FILE's bytes are the body, exactly. -tolerance 0
checks the signature alone, not the timestamp's age.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		var o verifyOpts
		fs.StringVar(&o.ts, "timestamp", "", "the X-Webhook-Timestamp header, or with -pipecat webhook-timestamp (required)")
		fs.StringVar(&o.sig, "signature", "", "the X-Webhook-Signature header, or with -pipecat webhook-signature (required)")
		fs.DurationVar(&o.tolerance, "tolerance", events.DefaultTolerance, "how far the timestamp may be from now; 0 checks the signature alone")
		fs.BoolVar(&o.pinless, "pinless", false, "verify a pinless dial-in call, with DAILY_PINLESS_SECRET")
		fs.BoolVar(&o.pipecat, "pipecat", false, "verify a Pipecat Cloud delivery, with PIPECAT_WEBHOOK_SECRET and -id")
		fs.StringVar(&o.id, "id", "", "with -pipecat: the webhook-id (or svix-id) header")
		return func(_ context.Context, e *env, args []string) error {
			return o.run(e, args)
		}
	},
}

// verifyOpts are verify's flags.
type verifyOpts struct {
	ts, sig, id      string
	tolerance        time.Duration
	pinless, pipecat bool
}

// run checks the flags, reads the delivery, and prints the verdict: exit 0
// for an authentic delivery, stale or not, which says so; 1, with "not
// authentic", for one whose signature matches nothing.
func (o *verifyOpts) run(e *env, args []string) error {
	switch {
	case o.ts == "" || o.sig == "":
		return fmt.Errorf("%w: -timestamp and -signature are required", errUsage)
	case o.pinless && o.pipecat:
		return fmt.Errorf("%w: -pinless and -pipecat name two hooks; give one", errUsage)
	case o.pipecat && o.id == "":
		return fmt.Errorf("%w: -pipecat needs -id, the webhook-id header", errUsage)
	case !o.pipecat && o.id != "":
		return fmt.Errorf("%w: -id goes with -pipecat", errUsage)
	case len(args) > 1:
		return fmt.Errorf("%w: one delivery at a time", errUsage)
	}
	name := "-"
	if len(args) == 1 {
		name = args[0]
	}
	secretVar := "DAILY_WEBHOOK_SECRET"
	switch {
	case o.pinless:
		secretVar = "DAILY_PINLESS_SECRET"
	case o.pipecat:
		secretVar = "PIPECAT_WEBHOOK_SECRET"
	}
	secrets := splitSecrets(e.getenv(secretVar))
	if len(secrets) == 0 {
		return fmt.Errorf("%w: set %s to the signing secret (several, comma-separated, while rotating)", errUsage, secretVar)
	}
	body, err := readInput(e, name)
	if err != nil {
		return err
	}
	var verdict string
	var ok bool
	if o.pipecat {
		verdict, ok = diagnosePipecat(secrets, pipecat.Headers{ID: o.id, Timestamp: o.ts, Signature: o.sig}, body, o.tolerance, time.Now())
	} else {
		verdict, ok = diagnose(secrets, o.ts, o.sig, body, o.tolerance, time.Now())
	}
	fmt.Fprintln(e.stdout, verdict)
	switch {
	case ok:
		return nil
	case strings.HasPrefix(verdict, "not authentic"):
		return errors.New("not authentic")
	}
	return errSaid // authentic, but a receiver refuses it: said above
}

// diagnose says whether body with the timestamp and signature headers ts
// and sig is authentic under one of secrets, and if not, why, by trying
// each cause in turn. It names only what it found.
func diagnose(secrets []string, ts, sig string, body []byte, tolerance time.Duration, now time.Time) (string, bool) {
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: secrets, DisableTimestampCheck: true})
	if err != nil {
		return "not authentic: the secret is not in Daily's form (standard base64)", false
	}
	if raw, err := base64.StdEncoding.Strict().DecodeString(sig); err != nil || len(raw) != 32 {
		return "not authentic: the signature is not the base64 of a 32-byte HMAC-SHA256, as X-Webhook-Signature is: it was cut or changed when it was copied", false
	}
	matches := func(ts string, body []byte) bool {
		_, err := v.Verify(body, sig, ts)
		return err == nil
	}
	if matches(ts, body) {
		return freshness(v, body, sig, ts, tolerance, now)
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Sprintf("not authentic: the timestamp %q is not a number of seconds or milliseconds, as X-Webhook-Timestamp is: it was cut or changed when it was copied", ts), false
	}
	var found []string
	for _, f := range reforms(body) {
		if matches(ts, f.body) {
			found = append(found, f.diagnosis)
		}
	}
	for _, alt := range []struct{ ts, what string }{
		{strconv.FormatInt(n*1000, 10), "in milliseconds"},
		{strconv.FormatInt(n/1000, 10), "in seconds"},
	} {
		if alt.ts != ts && alt.ts != "0" && matches(alt.ts, body) {
			found = append(found, fmt.Sprintf("the signature matches the timestamp %s (%s), not %s: the captured header was converted", alt.ts, alt.what, ts))
		}
	}
	switch len(found) {
	case 0:
		return "not authentic: the signature matches neither the body, nor any form of it this command tries, nor another form of the timestamp: the body or the timestamp was changed, or another secret signed it", false
	case 1:
		return "not authentic as captured: " + found[0], false
	}
	out := "not authentic as captured:"
	for _, r := range found {
		out += "\n  - " + r
	}
	return out, false
}

// freshness describes an authentic delivery signed at ts: fresh or stale,
// it is authentic.
func freshness(v *events.Verifier, body []byte, sig, ts string, tolerance time.Duration, now time.Time) (string, bool) {
	res, _ := v.Verify(body, sig, ts)
	if res.Timestamp.IsZero() {
		return fmt.Sprintf("authentic, but the timestamp %q is not a number of seconds or milliseconds: a receiver refuses it", ts), false
	}
	return staleness(res.Timestamp, tolerance, now), true
}

// staleness describes an authentic delivery signed at signed: fresh, or
// stale, which a receiver would refuse, but which is authentic all the
// same: verify diagnoses captured deliveries, often from the past.
func staleness(signed time.Time, tolerance time.Duration, now time.Time) string {
	age := now.Sub(signed)
	if tolerance <= 0 {
		return fmt.Sprintf("authentic: the signature matches the body; signed at %s, its age not checked", signed.UTC().Format(time.RFC3339))
	}
	if age <= tolerance && age >= -tolerance {
		return "authentic: the signature matches the body and the timestamp is within the tolerance"
	}
	when := fmt.Sprintf("%s ago", age.Round(time.Second))
	if age < 0 {
		when = fmt.Sprintf("%s from now, in the future: a clock is wrong", (-age).Round(time.Second))
	}
	return fmt.Sprintf("authentic, but stale: signed at %s, %s, outside the tolerance of %v; a receiver would refuse it now as a possible replay",
		signed.UTC().Format(time.RFC3339), when, tolerance)
}

// diagnosePipecat says whether body with the signature headers h is an
// authentic Pipecat Cloud delivery under one of secrets, and if not, why.
func diagnosePipecat(secrets []string, h pipecat.Headers, body []byte, tolerance time.Duration, now time.Time) (string, bool) {
	ts, err := strconv.ParseInt(h.Timestamp, 10, 64)
	if err != nil || ts <= 0 || strings.TrimLeft(h.Timestamp, "0123456789") != "" {
		return fmt.Sprintf("not authentic: the timestamp %q is not decimal Unix seconds, as webhook-timestamp is: it was cut or changed when it was copied", h.Timestamp), false
	}
	signed := time.Unix(ts, 0)
	// The signature alone: the clock stands at the signing time.
	v, err := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: secrets, Now: func() time.Time { return signed }})
	if err != nil {
		return "not authentic: a secret is not in Pipecat Cloud's form (whsec_ and base64)", false
	}
	matches := func(h pipecat.Headers, body []byte) error { return v.Verify(h, body) }
	switch err := matches(h, body); {
	case err == nil:
		return staleness(signed, tolerance, now), true
	case !errors.Is(err, pipecat.ErrInvalidSignature) || strings.Contains(err.Error(), "no v1 signature"):
		return "not authentic: the signature is not one or more v1,<base64 of 32 bytes> entries, as webhook-signature is: it was cut or changed when it was copied", false
	}
	var found []string
	for _, f := range reforms(body) {
		if matches(h, f.body) == nil {
			found = append(found, f.diagnosis)
		}
	}
	if ms := ts / 1000; ms > 0 {
		alt := h
		alt.Timestamp = strconv.FormatInt(ms, 10)
		if altV, _ := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: secrets, Now: func() time.Time { return time.Unix(ms, 0) }}); altV != nil && altV.Verify(alt, body) == nil {
			found = append(found, fmt.Sprintf("the signature matches the timestamp %s (in seconds), not %s: the captured header was converted", alt.Timestamp, h.Timestamp))
		}
	}
	if len(found) == 0 {
		return "not authentic: the signature matches neither the body, nor any form of it this command tries: the body, the id or the timestamp was changed, or another secret signed it", false
	}
	return "not authentic as captured:\n  - " + strings.Join(found, "\n  - "), false
}

// A reform is a form a body may have had before something changed it on
// its way, and the diagnosis when the signature matches it.
type reform struct {
	body      []byte
	diagnosis string
}

// reforms returns the forms the captured body may have had when Daily
// signed it, each once and none equal to body.
func reforms(body []byte) []reform {
	var out []reform
	add := func(b []byte, diagnosis string) {
		if b == nil || bytes.Equal(b, body) {
			return
		}
		for _, f := range out {
			if bytes.Equal(f.body, b) {
				return
			}
		}
		out = append(out, reform{b, diagnosis})
	}
	const raw = "; verify the raw bytes of the request, before any framework reads them"
	trimmed := bytes.TrimRight(body, "\r\n")
	add(trimmed, "the signature matches the body without its trailing newline: one was added after the delivery, by whatever saved or passed it on"+raw)
	add(append(trimmed[:len(trimmed):len(trimmed)], '\n'), "the signature matches the body with a trailing newline: the one Daily sent was removed"+raw)
	var compact bytes.Buffer
	if json.Compact(&compact, body) == nil {
		add(compact.Bytes(), "the signature matches the body without its whitespace, as Daily sends it: the JSON was pretty-printed or re-spaced"+raw)
	}
	var indented bytes.Buffer
	if json.Indent(&indented, body, "", "  ") == nil {
		add(indented.Bytes(), "the signature matches the body indented: the JSON's whitespace was changed"+raw)
	}
	add(dailyOrder(body), "the signature matches the body with its keys in Daily's order: the keys were reordered (sorted, say)"+raw)
	add(sortedKeys(body), "the signature matches the body with its keys sorted: the keys were reordered"+raw)
	return out
}

// sortedKeys returns body re-encoded compactly with its keys sorted, or nil.
func sortedKeys(body []byte) []byte {
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return nil
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return nil
	}
	return bytes.TrimRight(out.Bytes(), "\n")
}

// dailyOrder returns body re-encoded compactly with the keys of each
// object in the order of Daily's sample of its type, and the keys the
// sample lacks after them, in their order; nil when the body is not an
// event of a known type.
func dailyOrder(body []byte) []byte {
	ev, err := events.Parse(body)
	if err != nil {
		return nil
	}
	sample, ok := eventstest.Sample(ev.Meta().Type)
	if !ok {
		return nil
	}
	order := map[string][]string{}
	if keyOrder(sample, "", order) != nil {
		return nil
	}
	var out bytes.Buffer
	if writeOrdered(&out, body, "", order) != nil {
		return nil
	}
	return out.Bytes()
}
