package eventstest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/dailywebhooks/events"
)

// A DialinConfig is a pinless dial-in configuration of a fake Daily, with
// Daily's JSON names.
type DialinConfig struct {
	ID              string `json:"id"`
	Type            string `json:"type"`
	PhoneNumber     string `json:"phone_number"`
	RoomCreationAPI string `json:"room_creation_api"`
	HoldMusicURL    string `json:"hold_music_url,omitempty"`
	// HMAC signs the calls. As Daily does, the fake makes a new one on
	// every write that lacks it.
	HMAC   string `json:"hmac"`
	SIPURI string `json:"sip_uri"`
}

// A CallSpec describes a call for [Daily.PlaceCall].
type CallSpec struct {
	// From is the caller's number. Zero means +14158483432.
	From string `json:"from,omitempty"`
	// To is the number dialled: the configuration of that number takes
	// the call. Zero means the only configuration.
	To string `json:"to,omitempty"`
	// HoldWindow is how long the caller holds before Daily gives up. Zero
	// means two minutes, as Daily's hold music plays.
	HoldWindow time.Duration `json:"hold_window,omitempty"`
}

// A CallResult is what became of a placed call.
type CallResult struct {
	CallID     string `json:"call_id"`
	CallDomain string `json:"call_domain"`
	// Status is room_creation_api's answer to the call.
	Status int `json:"status"`
	// Connected reports whether pinlessCallUpdate connected the call, with
	// a SIP URI, within the hold window.
	Connected bool   `json:"connected"`
	SIPURI    string `json:"sip_uri,omitempty"`
	// Events are the dialin.* deliveries sent through the webhook once
	// connected, each "" or its error.
	Events []Played `json:"events,omitempty"`
}

// ErrNoDialinConfig is PlaceCall's error when no configuration takes the
// number called.
var ErrNoDialinConfig = errors.New("eventstest: no pinless dial-in configuration for that number")

// dialin is the dial-in state of a fake Daily.
type dialin struct {
	mu      sync.Mutex
	configs map[string]*DialinConfig
	held    map[string]heldCall // call ID → the call on hold
	// rooms are the rooms created with SIP dial-in, by name; endpoints
	// maps each room's SIP endpoint to whether it is ready.
	rooms     map[string]*Room
	endpoints map[string]bool
}

// A heldCall is a call on hold: its domain, and where the SIP URI that
// connects it goes.
type heldCall struct {
	domain  string
	connect chan string
}

// dialinRoutes serves the dial-in endpoints on mux.
func (d *Daily) dialinRoutes(mux *http.ServeMux) {
	d.dial = &dialin{configs: map[string]*DialinConfig{}, held: map[string]heldCall{}, rooms: map[string]*Room{}, endpoints: map[string]bool{}}
	mux.HandleFunc("POST /v1/rooms", d.createRoom)
	mux.HandleFunc("GET /v1/rooms/{name}", d.getRoom)
	mux.HandleFunc("POST /v1/domain-dialin-config", func(w http.ResponseWriter, r *http.Request) { d.writeDialinConfig(w, r, "") })
	mux.HandleFunc("PUT /v1/domain-dialin-config/{id}", func(w http.ResponseWriter, r *http.Request) { d.writeDialinConfig(w, r, r.PathValue("id")) })
	mux.HandleFunc("GET /v1/domain-dialin-config", func(w http.ResponseWriter, r *http.Request) {
		d.dial.mu.Lock()
		defer d.dial.mu.Unlock()
		list := []dialinConfigWire{}
		for _, c := range d.dial.configs {
			list = append(list, dialinConfigWire(*c))
		}
		writeJSON(w, map[string]any{"total_count": len(list), "data": list})
	})
	mux.HandleFunc("GET /v1/domain-dialin-config/{id}", func(w http.ResponseWriter, r *http.Request) {
		d.dial.mu.Lock()
		defer d.dial.mu.Unlock()
		if c, ok := d.dial.configs[r.PathValue("id")]; ok {
			writeJSON(w, dialinConfigWire(*c))
			return
		}
		apiError(w, http.StatusNotFound, "not-found", "no such dial-in configuration")
	})
	mux.HandleFunc("DELETE /v1/domain-dialin-config/{id}", func(w http.ResponseWriter, r *http.Request) {
		d.dial.mu.Lock()
		defer d.dial.mu.Unlock()
		delete(d.dial.configs, r.PathValue("id"))
		writeJSON(w, map[string]any{"deleted": true, "id": r.PathValue("id")})
	})
	mux.HandleFunc("POST /v1/dialin/pinlessCallUpdate", d.pinlessCallUpdate)
	mux.HandleFunc("POST "+CallsPath, d.placeCallEndpoint)
}

// CallsPath is the fake's own endpoint that places a call: a POST of a
// CallSpec answers, once the call was connected or gave up, with the
// CallResult.
const CallsPath = "/v1/_dev/calls"

// writeDialinConfig creates (id "") or updates a configuration, then sends
// its room_creation_api the signed test request; the configuration is
// kept whatever the answer.
func (d *Daily) writeDialinConfig(w http.ResponseWriter, r *http.Request, id string) {
	var in DialinConfig
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "json-parsing-error", "invalid JSON body")
		return
	}
	d.dial.mu.Lock()
	c, ok := d.dial.configs[id]
	switch {
	case id != "" && !ok:
		d.dial.mu.Unlock()
		apiError(w, http.StatusNotFound, "not-found", "no such dial-in configuration")
		return
	case id == "":
		c = &DialinConfig{ID: newUUID(), Type: "pinless_dialin"}
		c.SIPURI = "sip:" + c.ID + "@sip.daily.co"
		d.dial.configs[c.ID] = c
	}
	c.PhoneNumber = cmpOr(in.PhoneNumber, c.PhoneNumber)
	c.RoomCreationAPI = cmpOr(in.RoomCreationAPI, c.RoomCreationAPI)
	c.HoldMusicURL = cmpOr(in.HoldMusicURL, c.HoldMusicURL)
	c.HMAC = in.HMAC
	if c.HMAC == "" {
		c.HMAC, _ = events.NewSecret() // what Daily does, and why a write must carry one
	}
	out := *c
	d.dial.mu.Unlock()
	if out.RoomCreationAPI != "" {
		d.postPinless(r.Context(), out, []byte(`{"Test":"test"}`))
	}
	writeJSON(w, dialinConfigWire(out))
}

// cmpOr returns a, or b when a is empty.
func cmpOr(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

// postPinless POSTs body to c's room_creation_api, signed with its hmac
// under the pinless headers, and returns the status, or 0.
func (d *Daily) postPinless(ctx context.Context, c DialinConfig, body []byte) int {
	ts := strconv.FormatInt(d.cfg.Now().Unix(), 10)
	sig, err := events.Sign(c.HMAC, ts, body)
	if err != nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.VerifyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.RoomCreationAPI, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(events.HeaderPinlessTimestamp, ts)
	req.Header.Set(events.HeaderPinlessSignature, sig)
	resp, err := d.cfg.Client.Do(req)
	if d.cfg.Logger != nil {
		d.cfg.Logger.Info("pinless request", "url", c.RoomCreationAPI, "status", statusOf(resp), "err", err)
	}
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// pinlessCallUpdate connects a held call to the SIP URI given, as Daily
// does: a call or domain it did not issue is refused (404) and connects
// nothing; a SIP endpoint that is not ready yet is refused with 409, and
// the call stays on hold, where Daily would drop it, so that a local app
// finds its mistake.
func (d *Daily) pinlessCallUpdate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CallID     string `json:"callId"`
		CallDomain string `json:"callDomain"`
		SIPURI     string `json:"sipUri"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil || in.CallID == "" || in.CallDomain == "" || in.SIPURI == "" {
		apiError(w, http.StatusBadRequest, "invalid-request-error", "Missing fields")
		return
	}
	d.dial.mu.Lock()
	call, ok := d.dial.held[in.CallID]
	ready, known := d.dial.endpoints[in.SIPURI]
	switch {
	case !ok || call.domain != in.CallDomain:
		d.dial.mu.Unlock()
		apiError(w, http.StatusNotFound, "not-found", "Call Forwarding Failed: no call on hold with that callId and callDomain")
		return
	case known && !ready:
		d.dial.mu.Unlock()
		apiError(w, http.StatusConflict, "sip-endpoint-not-ready", "the room's SIP endpoint is not ready yet: wait for dialin.ready; Daily would drop the call")
		return
	}
	delete(d.dial.held, in.CallID)
	d.dial.mu.Unlock()
	call.connect <- in.SIPURI
	writeJSON(w, map[string]string{"ok": "true"})
}

// PlaceCall places a call to a pinless dial-in number, as Daily does: the
// signed POST of the call to the configuration's room_creation_api, then a
// hold of HoldWindow, in which pinlessCallUpdate must name a SIP URI for
// the call. Once it does, dialin.connected and dialin.stopped go through
// the webhook, when there is one, under its retry type. It returns what
// became of the call; whether it connected is in the result, not an error.
func (d *Daily) PlaceCall(ctx context.Context, spec CallSpec) (CallResult, error) {
	cfg, err := d.configFor(spec.To)
	if err != nil {
		return CallResult{}, err
	}
	hold := spec.HoldWindow
	if hold <= 0 {
		hold = 2 * time.Minute
	}
	from := cmpOr(spec.From, "+14158483432")
	res := CallResult{CallID: newUUID(), CallDomain: newUUID()}
	connected := make(chan string, 1)
	d.dial.mu.Lock()
	d.dial.held[res.CallID] = heldCall{domain: res.CallDomain, connect: connected}
	d.dial.mu.Unlock()
	defer func() {
		d.dial.mu.Lock()
		delete(d.dial.held, res.CallID)
		d.dial.mu.Unlock()
	}()
	body, _ := json.Marshal(map[string]string{"To": cfg.PhoneNumber, "From": from, "callId": res.CallID, "callDomain": res.CallDomain})
	res.Status = d.postPinless(ctx, cfg, body)
	t := time.NewTimer(hold)
	defer t.Stop()
	select {
	case res.SIPURI = <-connected:
		res.Connected = true
	case <-t.C:
		return res, nil
	case <-ctx.Done():
		return res, ctx.Err()
	}
	if _, ok := d.Webhook(); ok {
		res.Events = d.sendDialinEvents(ctx, from)
	}
	return res, ctx.Err()
}

// configFor returns the configuration of number to, or the only one.
func (d *Daily) configFor(to string) (DialinConfig, error) {
	d.dial.mu.Lock()
	defer d.dial.mu.Unlock()
	for _, c := range d.dial.configs {
		if c.PhoneNumber == to || to == "" && len(d.dial.configs) == 1 {
			return *c, nil
		}
	}
	return DialinConfig{}, ErrNoDialinConfig
}

// sendDialinEvents sends dialin.connected, then dialin.stopped, of a call
// from from, through the webhook.
func (d *Daily) sendDialinEvents(ctx context.Context, from string) []Played {
	session, room := newUUID(), "dialin-"+newUUID()[:8]
	var out []Played
	for i, typ := range []events.Type{events.TypeDialinConnected, events.TypeDialinStopped} {
		sample, _ := Sample(typ)
		var ev map[string]any
		json.Unmarshal(sample, &ev)
		p, _ := ev["payload"].(map[string]any)
		now := d.cfg.Now().Add(time.Duration(i) * time.Second)
		p["session_id"], p["room"], p["display_name"] = session, room, from
		p["sip_from"], p["timestamp"] = "sip:"+from+"@sip.daily.co", strconv.FormatInt(now.Unix(), 10)
		p["sip_headers"] = map[string]string{}
		ev["id"], ev["event_ts"] = fmt.Sprintf("%s-%s", typ, session[:8]), json.Number(strconv.FormatFloat(float64(now.UnixMilli())/1000, 'f', -1, 64))
		body, _ := json.Marshal(ev)
		pl := Played{Type: typ, ID: ev["id"].(string)}
		if err := d.Send(ctx, body); err != nil {
			pl.Err = err.Error()
		}
		out = append(out, pl)
	}
	return out
}

// placeCallEndpoint serves CallsPath: {"from", "to", "hold_seconds"}.
func (d *Daily) placeCallEndpoint(w http.ResponseWriter, r *http.Request) {
	var in struct {
		From        string  `json:"from"`
		To          string  `json:"to"`
		HoldSeconds float64 `json:"hold_seconds"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil || in.HoldSeconds < 0 || in.HoldSeconds > 600 {
		apiError(w, http.StatusBadRequest, "invalid-request-error", "a JSON body with from, to and hold_seconds (0 to 600)")
		return
	}
	res, err := d.PlaceCall(r.Context(), CallSpec{From: in.From, To: in.To, HoldWindow: time.Duration(in.HoldSeconds * float64(time.Second))})
	switch {
	case errors.Is(err, ErrNoDialinConfig):
		apiError(w, http.StatusBadRequest, "invalid-request-error", err.Error())
	case err != nil:
		apiError(w, http.StatusInternalServerError, "server-error", err.Error())
	default:
		writeJSON(w, res)
	}
}
