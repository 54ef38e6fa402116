package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/edgedesk/edgedesk/model"
)

// sweep prints what a model's confidence threshold trades on labelled
// data: for each threshold, accuracy, in-scope accuracy, out-of-scope
// recall and in-scope messages wrongly not understood (pure-Go forward
// pass, no locale hint).
//
//	modelreport sweep -model m.onnx -data a.jsonl,b.jsonl
func sweep(args []string) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	path := fs.String("model", "model/default/default.onnx", "model file")
	data := fs.String("data", "", "labelled JSON Lines, comma-separated (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := model.LoadModelFile(*path)
	if err != nil {
		return err
	}
	exs, err := readAll(strings.Split(*data, ","))
	if err != nil {
		return err
	}
	oos := m.Manifest.OOSLabel
	fmt.Printf("model threshold %.3f\n| threshold | accuracy | in-scope | oos recall | false oos |\n|---|---|---|---|---|\n", m.Manifest.Threshold)
	for t := float32(0); t <= 0.8001; t += 0.05 {
		m.Manifest.Threshold = t
		var ok, in, inOK, inOOS, out, outOK int
		for _, ex := range exs {
			p := m.Predict(ex.Text, "", 1)
			got := p.Intent
			if !p.Understood {
				got = oos
			}
			if got == ex.Intent {
				ok++
			}
			if ex.Intent == oos {
				out++
				if got == oos {
					outOK++
				}
				continue
			}
			in++
			if got == ex.Intent {
				inOK++
			} else if got == oos {
				inOOS++
			}
		}
		fmt.Printf("| %.2f | %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n", t, pct(ok, len(exs)), pct(inOK, in), pct(outOK, out), pct(inOOS, in))
	}
	return nil
}
