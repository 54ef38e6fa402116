//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
)

// heapMetric is the Prometheus metric scraped for heap per connection.
const heapMetric = "go_memstats_heap_inuse_bytes"

// report is the result of one run. It is printed as text or, with -json, as
// one JSON line.
type report struct {
	Mode      string  `json:"mode"`
	URL       string  `json:"url"`
	Sessions  int     `json:"sessions"`
	Sources   int     `json:"sources"`
	Rate      float64 `json:"rate"`
	DurationS float64 `json:"duration_s"`
	WarmupS   float64 `json:"warmup_s"`
	Ramp      float64 `json:"ramp"`
	Nofile    nofile  `json:"nofile"`
	Text      string  `json:"text,omitempty"` // -text, when given

	Attempted  int            `json:"attempted"`
	Held       int            `json:"held"`
	Failed     int            `json:"failed"`
	HeldEnd    int            `json:"held_end"`
	DialErrors map[string]int `json:"dial_errors"`
	ConnectS   float64        `json:"connect_s"`

	RSSBefore        int64   `json:"rss_before"`
	RSSAfter         int64   `json:"rss_after"`
	RSSEnd           int64   `json:"rss_end"`
	RSSPerSession    float64 `json:"rss_per_session"`
	RSSPerSessionKiB float64 `json:"rss_per_session_kib"`
	HeapBefore       float64 `json:"heap_before"`
	HeapAfter        float64 `json:"heap_after"`
	HeapPerConn      float64 `json:"heap_per_conn"`
	HeapPerConnKiB   float64 `json:"heap_per_conn_kib"`
	SelfRSS          int64   `json:"loadgen_rss"`

	Sent             int64          `json:"sent"`
	SentMeasured     int64          `json:"sent_measured"`
	Received         int64          `json:"received"`
	ReceivedInWindow int64          `json:"received_in_window"`
	Missing          int64          `json:"missing"`
	Duplicates       int64          `json:"duplicates"`
	Unknown          int64          `json:"unknown"`
	WriteErrors      int            `json:"write_errors"`
	OfferedPerSec    float64        `json:"offered_per_s"`
	ReceiptsPerSec   float64        `json:"receipts_per_s"`
	LatencyFrom      string         `json:"latency_from"`
	Latency          latencySummary `json:"latency"`
	Service          latencySummary `json:"service_latency"`
	SendLag          latencySummary `json:"send_lag"`
	CPU              cpuUse         `json:"cpu"`
	ServerUsPerMsg   float64        `json:"server_cpu_us_per_msg"`
	Answers          *answerReport  `json:"answers,omitempty"` // with -answers only
	Fsyncs           *fsyncReport   `json:"fsyncs_per_msg,omitempty"`
	ErrorFrames      map[string]int `json:"error_frames"`
	NodeMsgs         int64          `json:"node_msgs"`
	OtherFrames      int64          `json:"other_frames"`
	Unparsed         int64          `json:"unparsed"`
}

// answerReport describes the bot's answers (msg frames from "bot" whose
// reply_to is the seq of a receipted message) in a run with -answers.
type answerReport struct {
	Received         int64          `json:"received"`           // answers matched to a receipted message
	ReceivedInWindow int64          `json:"received_in_window"` // of those, received inside the window
	PerSec           float64        `json:"per_s"`              // ReceivedInWindow per second of the window
	Unmatched        int64          `json:"unmatched"`          // answers whose reply_to matched no receipt
	Unanswered       int64          `json:"unanswered"`         // receipted messages never answered
	Missing          int64          `json:"missing"`            // measured messages without a measured answer
	Latency          latencySummary `json:"latency"`            // from the message's scheduled send time
}

// writeJSON writes rep as one line of JSON.
func (rep *report) writeJSON(w io.Writer) error {
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// writeText writes rep for a human reader.
func (rep *report) writeText(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("mode %s, target %s, %d sources, RLIMIT_NOFILE soft %d hard %d (raised by loadgen: %v)",
		rep.Mode, rep.URL, rep.Sources, rep.Nofile.Soft, rep.Nofile.Hard, rep.Nofile.Raised)
	if rep.Text != "" {
		p("message text: %q", rep.Text)
	}
	p("connections: attempted %d, held %d, failed %d, held at end %d (connect took %.1fs at ramp %.0f/s)",
		rep.Attempted, rep.Held, rep.Failed, rep.HeldEnd, rep.ConnectS, rep.Ramp)
	if len(rep.DialErrors) > 0 {
		p("dial errors: %s", formatCounts(rep.DialErrors))
	}
	if rep.RSSBefore > 0 {
		p("server RSS: before %.1f MiB, after connect %.1f MiB, at end %.1f MiB; per session %.1f KiB",
			mib(rep.RSSBefore), mib(rep.RSSAfter), mib(rep.RSSEnd), rep.RSSPerSessionKiB)
	}
	if rep.HeapAfter > 0 {
		p("server heap in use: before %.1f MiB, after connect %.1f MiB; per connection %.1f KiB",
			rep.HeapBefore/(1<<20), rep.HeapAfter/(1<<20), rep.HeapPerConnKiB)
	}
	p("loadgen RSS: %.1f MiB", mib(rep.SelfRSS))
	if rep.Rate > 0 {
		p("messages: offered %.0f/s; sent %d (%d measured), responses %d, missing %d, duplicates %d, unknown %d, write errors %d",
			rep.OfferedPerSec, rep.Sent, rep.SentMeasured, rep.Received, rep.Missing, rep.Duplicates, rep.Unknown, rep.WriteErrors)
		p("receipts/s: %.1f over %.0fs after %.0fs warmup", rep.ReceiptsPerSec, rep.DurationS, rep.WarmupS)
		p("latency from %s:", rep.LatencyFrom)
		p("  %s", formatLatency(rep.Latency))
		if a := rep.Answers; a != nil {
			p("bot answers: %d matched (%d in window, %.1f/s), unmatched %d, receipted but unanswered %d, measured messages without an answer %d",
				a.Received, a.ReceivedInWindow, a.PerSec, a.Unmatched, a.Unanswered, a.Missing)
			p("answer latency from %s:", rep.LatencyFrom)
			p("  %s", formatLatency(a.Latency))
		}
		p("service latency (from the actual write): %s", formatLatency(rep.Service))
		p("send lag (write minus due time, loadgen's own delay): %s", formatLatency(rep.SendLag))
		p("cpu over the window, in cores of %d: machine %.2f = server %.2f + loadgen %.2f + other %.2f",
			rep.CPU.Cores, rep.CPU.Machine, rep.CPU.Server, rep.CPU.Loadgen, rep.CPU.Other)
		if rep.ServerUsPerMsg > 0 {
			p("server CPU per message: %.1f µs", rep.ServerUsPerMsg)
		}
		if f := rep.Fsyncs; f != nil {
			p("fsyncs per message: bbolt %.3f + jetstream %.3f = %.3f (node's counts); all of the process's, counted by the kernel: %.3f",
				f.BBolt, f.JetStream, f.Total, f.OS)
		}
	}
	if len(rep.ErrorFrames) > 0 {
		p("error frames: %s", formatCounts(rep.ErrorFrames))
	}
	if rep.NodeMsgs+rep.OtherFrames+rep.Unparsed > 0 {
		p("other frames: msg %d, other types %d, unparsed %d", rep.NodeMsgs, rep.OtherFrames, rep.Unparsed)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// formatLatency renders a latency summary on one line.
func formatLatency(s latencySummary) string {
	if s.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("n=%d mean %.3f ms, p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms",
		s.Count, s.Mean, s.P50, s.P90, s.P99, s.P999, s.Max)
}

// formatCounts renders counts as "key=n" pairs sorted by key.
func formatCounts(m map[string]int) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%q=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// mib converts bytes to mebibytes.
func mib(b int64) float64 { return float64(b) / (1 << 20) }

// round1 rounds v to one decimal place.
func round1(v float64) float64 { return math.Round(v*10) / 10 }
