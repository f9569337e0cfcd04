package eventstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// PipecatPath is the fake's own endpoint that sends a Pipecat Cloud
// delivery, as the dashboard's "send test event" does: a POST of
// {"event_type": TYPE, "svix": bool, "test": bool} sends the type's sample
// to DailyConfig.PipecatURL and answers with the PipecatAttempt.
const PipecatPath = "/v1/_dev/pipecat"

// ErrNoPipecatEndpoint is the error of SendPipecat on a fake whose
// config names no Pipecat Cloud endpoint.
var ErrNoPipecatEndpoint = errors.New("eventstest: no Pipecat Cloud endpoint is configured (DailyConfig.PipecatURL and PipecatSecret)")

// A PipecatAttempt is one delivery of a Pipecat Cloud event by the fake.
type PipecatAttempt struct {
	// ID is the message id, the webhook-id.
	ID string `json:"id"`
	// Type is the event type.
	Type string `json:"event_type"`
	// Status is the endpoint's answer, 0 when none came.
	Status int `json:"status"`
	// Err is why the attempt failed, or "".
	Err string `json:"error,omitempty"`
}

// SendPipecat delivers the sample of Pipecat Cloud's event type typ to the
// configured endpoint, signed as Pipecat Cloud signs it with a new message
// id: under the svix- header names with svix, marked as a test event with
// test. An answer other than 2xx is reported in the attempt, not as an
// error.
func (d *Daily) SendPipecat(ctx context.Context, typ string, svix, test bool) (PipecatAttempt, error) {
	if d.cfg.PipecatURL == "" || d.cfg.PipecatSecret == "" {
		return PipecatAttempt{}, ErrNoPipecatEndpoint
	}
	body, ok := PipecatSample(typ)
	if !ok {
		return PipecatAttempt{}, fmt.Errorf("eventstest: no sample of Pipecat Cloud's event type %q", typ)
	}
	s := PipecatSigner{Secret: d.cfg.PipecatSecret, Svix: svix, Test: test, Time: d.cfg.Now()}
	id, _, _, err := s.Sign(body)
	if err != nil {
		return PipecatAttempt{}, err
	}
	s.ID = id
	req, err := s.NewRequest(d.cfg.PipecatURL, body)
	if err != nil {
		return PipecatAttempt{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.AnswerTimeout)
	defer cancel()
	a := PipecatAttempt{ID: id, Type: typ}
	resp, err := d.cfg.Client.Do(req.WithContext(ctx))
	if err != nil {
		a.Err = err.Error()
		return a, nil
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a.Status = resp.StatusCode
	if resp.StatusCode/100 != 2 {
		a.Err = "answered " + resp.Status
	}
	return a, nil
}

// sendPipecatEndpoint serves PipecatPath.
func (d *Daily) sendPipecatEndpoint(w http.ResponseWriter, r *http.Request) {
	var in struct {
		EventType string `json:"event_type"`
		Svix      bool   `json:"svix"`
		Test      bool   `json:"test"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "invalid-request-error", "a JSON body with event_type, and svix and test")
		return
	}
	a, err := d.SendPipecat(r.Context(), in.EventType, in.Svix, in.Test)
	if err != nil {
		apiError(w, http.StatusBadRequest, "invalid-request-error", err.Error())
		return
	}
	writeJSON(w, a)
}
