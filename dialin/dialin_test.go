package dialin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dailywebhooks/events/dialin"
)

// api is a recording stand-in for Daily's dial-in endpoints.
type api struct {
	mu    sync.Mutex
	calls []string // "METHOD path body"
	srv   *httptest.Server
}

func newAPI(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, body map[string]any)) (*api, *dialin.Client) {
	a := &api{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer key" {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":"authentication-error","info":"bad API key"}`)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		json.Unmarshal(raw, &body)
		a.mu.Lock()
		a.calls = append(a.calls, r.Method+" "+r.URL.Path+" "+string(raw))
		a.mu.Unlock()
		answer(w, r, body)
	}))
	t.Cleanup(a.srv.Close)
	c := dialin.NewClient("key")
	c.BaseURL = a.srv.URL + "/v1"
	return a, c
}

func TestPinlessCallUpdate(t *testing.T) {
	a, c := newAPI(t, func(w http.ResponseWriter, r *http.Request, body map[string]any) {
		if body["callId"] == "gone" {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":"not-found","info":"Call Forwarding Failed"}`)
			return
		}
		fmt.Fprint(w, `{"ok":"true"}`)
	})
	if err := c.PinlessCallUpdate(context.Background(), "call-1", "dom-1", "sip:room@sip.daily.co"); err != nil {
		t.Fatal(err)
	}
	if want := `POST /v1/dialin/pinlessCallUpdate {"callDomain":"dom-1","callId":"call-1","sipUri":"sip:room@sip.daily.co"}`; a.calls[0] != want {
		t.Errorf("sent %s, want %s", a.calls[0], want)
	}
	err := c.PinlessCallUpdate(context.Background(), "gone", "dom-1", "sip:x")
	var apiErr *dialin.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "not-found" || !strings.HasPrefix(err.Error(), "dialin: POST /dialin/pinlessCallUpdate: 404") {
		t.Errorf("PinlessCallUpdate of a call that is gone = %v", err)
	}
}

// TestConfigsAlwaysSendAnHMAC writes configurations with and without a
// secret: every write carries one, and the caller learns it.
func TestConfigsAlwaysSendAnHMAC(t *testing.T) {
	a, c := newAPI(t, func(w http.ResponseWriter, r *http.Request, body map[string]any) {
		switch r.Method {
		case "POST", "PUT":
			// Daily answers without the hmac it stored.
			delete(body, "hmac")
			body["id"], body["sip_uri"] = "cfg-1", "sip:cfg-1@sip.daily.co"
			json.NewEncoder(w).Encode(body)
		case "GET":
			if strings.HasSuffix(r.URL.Path, "/domain-dialin-config") {
				fmt.Fprint(w, `{"total_count":1,"data":[{"id":"cfg-1","type":"pinless_dialin"}]}`)
				return
			}
			fmt.Fprint(w, `{"id":"cfg-1","type":"pinless_dialin"}`)
		case "DELETE":
			fmt.Fprint(w, `{"deleted":true}`)
		}
	})
	ctx := context.Background()
	created, err := c.CreateConfig(ctx, dialin.Config{PhoneNumber: "+12555599999", RoomCreationAPI: "https://example.com/dialin"})
	if err != nil || created.HMAC == "" || created.ID != "cfg-1" || created.Type != dialin.TypePinless || created.SIPURI == "" {
		t.Fatalf("CreateConfig = %+v, %v; want the generated hmac back", created, err)
	}
	if !strings.Contains(a.calls[0], `"hmac":"`+created.HMAC+`"`) || !strings.Contains(a.calls[0], `"type":"pinless_dialin"`) {
		t.Errorf("create sent %s, want the hmac returned and the pinless type", a.calls[0])
	}
	updated, err := c.UpdateConfig(ctx, "cfg-1", dialin.Config{HoldMusicURL: "https://example.com/hold.mp3", HMAC: "bXkgb3duIHNlY3JldA=="})
	if err != nil || updated.HMAC != "bXkgb3duIHNlY3JldA==" || !strings.HasPrefix(a.calls[1], "PUT /v1/domain-dialin-config/cfg-1 ") || !strings.Contains(a.calls[1], `"hmac":"bXkgb3duIHNlY3JldA=="`) {
		t.Errorf("UpdateConfig = %+v, %v; sent %s", updated, err, a.calls[1])
	}
	if _, err := c.UpdateConfig(ctx, "cfg-1", dialin.Config{NamePrefix: "support"}); err != nil || !strings.Contains(a.calls[2], `"hmac":"`) {
		t.Errorf("an update without an hmac sent %s, want one generated", a.calls[2])
	}
	list, err := c.ListConfigs(ctx)
	if err != nil || len(list) != 1 || list[0].ID != "cfg-1" {
		t.Errorf("ListConfigs = %+v, %v", list, err)
	}
	if got, err := c.GetConfig(ctx, "cfg-1"); err != nil || got.Type != dialin.TypePinless {
		t.Errorf("GetConfig = %+v, %v", got, err)
	}
	if err := c.DeleteConfig(ctx, "cfg-1"); err != nil || !strings.HasPrefix(a.calls[len(a.calls)-1], "DELETE /v1/domain-dialin-config/cfg-1") {
		t.Errorf("DeleteConfig = %v; sent %v", err, a.calls)
	}
	for _, out := range []string{fmt.Sprintf("%v %+v %#v", *created, *created, *created), fmt.Sprintf("%v", c)} {
		if strings.Contains(out, created.HMAC) || strings.Contains(out, "key}") {
			t.Errorf("%q shows a secret", out)
		}
	}
}

func TestClientRefusesRedirects(t *testing.T) {
	_, c := newAPI(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		http.Redirect(w, r, "http://elsewhere.example/v1/dialin/pinlessCallUpdate", http.StatusTemporaryRedirect)
	})
	if err := c.PinlessCallUpdate(context.Background(), "c", "d", "sip:x"); !errors.Is(err, dialin.ErrRedirect) {
		t.Errorf("a redirect = %v, want ErrRedirect", err)
	}
}
