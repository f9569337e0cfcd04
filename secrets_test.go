package events_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/dialin"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/pipecat"
	"github.com/dailywebhooks/events/webhooks"
)

// TestSecretsNeverLogged logs and formats every public value that holds a
// secret, alone and nested in every shape (slice, map, pointer, struct,
// struct of slices), through slog's JSON and text handlers and fmt's
// verbs: no secret appears in any of them.
func TestSecretsNeverLogged(t *testing.T) {
	const (
		hmac   = "SECRET-HMAC-b64"
		basic  = "SECRET-BASIC"
		whsec  = "U0VDUkVULVZFUklGSUVSLUtFWQ=="
		apiKey = "SECRET-API-KEY"
	)
	secrets := []string{hmac, basic, whsec, apiKey}
	hook := webhooks.Webhook{UUID: "u1", URL: "https://app.example/hook", HMAC: hmac, BasicAuth: basic, State: webhooks.StateActive, LastMomentPushed: time.Now()}
	params := webhooks.Params{URL: "https://app.example/hook", HMAC: hmac, BasicAuth: basic}
	cfg := dialin.Config{ID: "c1", PhoneNumber: "+12555599999", HMAC: hmac}
	vcfg := events.VerifierConfig{Secrets: []string{whsec}, BasicAuth: basic}
	v, err := events.NewVerifier(vcfg)
	if err != nil {
		t.Fatal(err)
	}
	signer := eventstest.Signer{Secret: whsec, BasicAuth: basic}
	fakeHook := eventstest.Webhook{UUID: "u1", HMAC: hmac, BasicAuth: basic}
	fakeCfg := eventstest.DialinConfig{ID: "c1", HMAC: hmac}
	dcfg := eventstest.DailyConfig{APIKey: apiKey, PipecatSecret: "whsec_" + whsec}
	pcfg := pipecat.VerifierConfig{Secrets: []string{"whsec_" + whsec}}
	pv, err := pipecat.NewVerifier(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	pcSigner := eventstest.PipecatSigner{Secret: "whsec_" + whsec}
	type holder struct {
		Hooks  []webhooks.Webhook
		Hook   webhooks.Webhook
		Params webhooks.Params
		Cfgs   []dialin.Config
		V      events.VerifierConfig
		Ptr    *webhooks.Webhook
	}
	values := map[string]any{
		"Webhook":                  hook,
		"*Webhook":                 &hook,
		"[]Webhook":                []webhooks.Webhook{hook, hook},
		"[]*Webhook":               []*webhooks.Webhook{&hook},
		"map[string]Webhook":       map[string]webhooks.Webhook{"a": hook},
		"Params":                   params,
		"[]Params":                 []webhooks.Params{params},
		"dialin.Config":            cfg,
		"[]dialin.Config":          []dialin.Config{cfg},
		"*dialin.Config":           &cfg,
		"VerifierConfig":           vcfg,
		"[]VerifierConfig":         []events.VerifierConfig{vcfg},
		"*Verifier":                v,
		"[]*Verifier":              []*events.Verifier{v},
		"a struct of them":         holder{Hooks: []webhooks.Webhook{hook}, Hook: hook, Params: params, Cfgs: []dialin.Config{cfg}, V: vcfg, Ptr: &hook},
		"*a struct of them":        &holder{Hooks: []webhooks.Webhook{hook}, Hook: hook, Ptr: &hook},
		"[]struct":                 []holder{{Hook: hook, Cfgs: []dialin.Config{cfg}}},
		"webhooks.Client":          webhooks.NewClient(apiKey),
		"dialin.Client":            dialin.NewClient(apiKey),
		"eventstest.Signer":        signer,
		"[]eventstest.Signer":      []eventstest.Signer{signer},
		"eventstest.Webhook":       fakeHook,
		"[]eventstest.Webhook":     []eventstest.Webhook{fakeHook},
		"[]DialinConfig":           []eventstest.DialinConfig{fakeCfg},
		"eventstest.DailyConfig":   dcfg,
		"[]DailyConfig":            []eventstest.DailyConfig{dcfg},
		"pipecat.VerifierConfig":   pcfg,
		"[]pipecat.VerifierConfig": []pipecat.VerifierConfig{pcfg},
		"*pipecat.Verifier":        pv,
		"[]*pipecat.Verifier":      []*pipecat.Verifier{pv},
		"PipecatSigner":            pcSigner,
		"[]PipecatSigner":          []eventstest.PipecatSigner{pcSigner},
	}
	for name, val := range values {
		var buf bytes.Buffer
		json := slog.New(slog.NewJSONHandler(&buf, nil))
		text := slog.New(slog.NewTextHandler(&buf, nil))
		json.Info("m", "v", val)
		text.Info("m", "v", val)
		json.Info("m", slog.Group("g", slog.Any("v", val)))
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			fmt.Fprintf(&buf, verb+"\n", val)
		}
		fmt.Fprintln(&buf, val)
		for _, s := range secrets {
			if strings.Contains(buf.String(), s) {
				t.Errorf("%s shows a secret:\n%s", name, buf.String())
				break
			}
		}
		if !strings.Contains(buf.String(), "u1") && !strings.Contains(buf.String(), "c1") && strings.Contains(name, "Webhook") {
			t.Errorf("%s: the log lost the value itself:\n%s", name, buf.String())
		}
	}
	d := eventstest.NewDaily(dcfg)
	defer d.Close()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "daily", d, "list", []*eventstest.Daily{d})
	fmt.Fprintf(&buf, "%+v %#v\n", d, []*eventstest.Daily{d})
	if strings.Contains(buf.String(), apiKey) {
		t.Errorf("the fake Daily shows its API key:\n%s", buf.String())
	}
}
