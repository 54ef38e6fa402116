package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"

	"github.com/edgedesk/edgedesk/model"
)

// classify prints the service's prediction for each argument.
func classify(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("classify", flag.ContinueOnError)
	path := fs.String("model", "model/default/default.onnx", "model file")
	hint := fs.String("locale", "", "declared locale")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := initRuntime(); err != nil {
		return err
	}
	svc, err := model.NewService(*path, model.ServiceOptions{})
	if err != nil {
		return err
	}
	defer svc.Close()
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for _, t := range fs.Args() {
		p, err := svc.Classify(ctx, t, *hint)
		if err != nil {
			return err
		}
		if err := enc.Encode(struct {
			Text string `json:"text"`
			model.Prediction
		}{t, p}); err != nil {
			return err
		}
	}
	return nil
}

// initRuntime finds and loads ONNX Runtime (model.LocateRuntime's order).
func initRuntime() error {
	lib, err := model.LocateRuntime()
	if err != nil {
		return err
	}
	return model.InitRuntime(lib)
}
