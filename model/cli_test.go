package model

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTrainCommandBadData(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, data, want string
	}{
		{"not json", "{\"text\":\"a\",\"intent\":\"x\"}\n{oops\n", "bad.jsonl:2: not a JSON object"},
		{"missing intent", "{\"text\":\"a\",\"intent\":\"x\"}\n{\"text\":\"b\",\"intent\":\"y\"}\n{\"text\":\"c\"}\n", "bad.jsonl:3: missing field \"intent\""},
		{"missing text", "{\"intent\":\"x\"}\n", "bad.jsonl:1: missing field \"text\""},
		{"one label", "{\"text\":\"a\",\"intent\":\"x\"}\n{\"text\":\"b\",\"intent\":\"x\"}\n", "only one intent label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := writeFile(t, dir, "bad.jsonl", tt.data)
			var out, errb bytes.Buffer
			err := TrainCommand(context.Background(), []string{"-data", data, "-out", filepath.Join(dir, "m.onnx"), "-quiet"}, &out, &errb)
			if !isErr(err, ErrBadData) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrBadData containing %q", err, tt.want)
			}
		})
	}
	var out, errb bytes.Buffer
	if err := TrainCommand(context.Background(), []string{"-out", "x"}, &out, &errb); !IsUsageError(err) {
		t.Errorf("missing -data: got %v", err)
	}
	if err := TrainCommand(context.Background(), []string{"-nope"}, &out, &errb); err == nil {
		t.Error("unknown flag accepted")
	}
}

func TestTrainAndEvalCommands(t *testing.T) {
	requireRuntime(t)
	dir := t.TempDir()
	exs := authoredData(t)
	train, dev := splitHoldout(exs, func(e Example) string { return e.Intent }, 0.2, 5)
	toJSONL := func(name string, exs []Example) string {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		for _, e := range exs {
			enc.Encode(e)
		}
		return writeFile(t, dir, name, b.String())
	}
	trainPath, devPath := toJSONL("train.jsonl", train), toJSONL("dev.jsonl", dev)
	modelPath := filepath.Join(dir, "m.onnx")
	var out, errb bytes.Buffer
	err := TrainCommand(context.Background(), []string{"-data", trainPath, "-dev", devPath, "-out", modelPath,
		"-buckets", "4096", "-dim", "16", "-lang-buckets", "1024", "-lang-dim", "8", "-epochs", "20"}, &out, &errb)
	if err != nil {
		t.Fatalf("train: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "wrote "+modelPath) || !strings.Contains(errb.String(), "epoch") {
		t.Errorf("train output:\n%s\nprogress:\n%s", out.String(), errb.String())
	}
	out.Reset()
	if err := EvalCommand(context.Background(), []string{"-model", modelPath, "-data", devPath, "-json"}, &out, &errb); err != nil {
		t.Fatalf("eval: %v", err)
	}
	var rep map[string]any
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("eval -json printed %q: %v", out.String(), err)
	}
	for _, k := range []string{"accuracy", "macro_f1", "n", "oos_recall", "p50_us", "p99_us", "model_bytes"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("eval -json lacks %q", k)
		}
	}
	if rep["n"].(float64) != float64(len(dev)) || rep["oos_recall"] == nil || rep["accuracy"].(float64) < 0.5 {
		t.Errorf("eval report %v", rep)
	}
	// The eval through ONNX Runtime agrees with the training-time dev
	// figure computed in pure Go.
	m, err := LoadModelFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rep["accuracy"].(float64), m.Manifest.Metrics.Dev.Accuracy; got != want {
		t.Errorf("eval accuracy %.4f, training dev accuracy %.4f", got, want)
	}
	out.Reset()
	if err := EvalCommand(context.Background(), []string{"-model", modelPath, "-data", devPath}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"accuracy", "macro-F1", "oos recall", "p50", "track_order"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("eval text output lacks %q:\n%s", s, out.String())
		}
	}
}
