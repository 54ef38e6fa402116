package enrich

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/model"
	"github.com/edgedesk/edgedesk/node/extract"
	"github.com/edgedesk/edgedesk/node/sentiment"
	"github.com/edgedesk/edgedesk/node/session"
)

// ErrModelDisabled is returned by the model operations of a Stage built
// with model.enabled false.
var ErrModelDisabled = errors.New("enrich: model disabled (model.enabled: false)")

// Options configures a Stage.
type Options struct {
	Model config.Model
	// DataDir holds models/: the unpacked default model and the core's.
	DataDir  string
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// Stage is the enrich stage: the session store's Enrich hook, run on the
// caller's goroutine for every customer message from any channel before
// it is stored. It adds intent and language (the model), the values the
// bot fills answers with (the extractors) and the sentiment signal, so the
// bot's decision on the committer costs only a lookup. A Stage is safe for
// concurrent use.
type Stage struct {
	cls     *classifier // nil: model disabled
	dataDir string
}

// New loads ONNX Runtime and the model when o.Model.Enabled.
func New(o Options) (*Stage, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	s := &Stage{dataDir: o.DataDir}
	if o.Model.Enabled {
		cls, err := openClassifier(o.Model, o.DataDir, o.Logger, o.Registry)
		if err != nil {
			return nil, err
		}
		s.cls = cls
	}
	return s, nil
}

// Enrich fills in what the node knows of a customer message before it is
// stored: intent, confidence and language, entities, sentiment.
func (s *Stage) Enrich(ctx context.Context, m *session.Message) {
	if m.Text == "" {
		return
	}
	if s.cls != nil {
		s.cls.classify(ctx, m)
	}
	var found [4]extract.Entity
	ents := extract.AppendAll(found[:0], m.Text)
	if len(ents) > 0 {
		m.Entities = make([]session.Entity, 0, len(ents))
		for _, e := range ents {
			if len(m.Entities) == session.MaxEntities {
				break
			}
			m.Entities = append(m.Entities, session.Entity{Kind: string(e.Kind), Value: e.Value})
		}
	}
	m.Sentiment = sentiment.Analyze(m.Text, m.Lang).Value
}

// HasModel reports whether messages are classified (model.enabled).
func (s *Stage) HasModel() bool { return s.cls != nil }

// Model describes the running model (zero when disabled).
func (s *Stage) Model() model.ModelInfo {
	if s.cls == nil {
		return model.ModelInfo{}
	}
	return s.cls.svc.Info()
}

// Reload swaps in the model file again (after it was replaced on disk)
// without failing in-flight classifications; on error the running model
// stays.
func (s *Stage) Reload() error {
	if s.cls == nil {
		return ErrModelDisabled
	}
	return s.cls.reload()
}

// ApplyModel takes a model sent by the core: it is written to
// data_dir/models/core.onnx and swapped in. A model that does not load
// leaves the running one.
func (s *Stage) ApplyModel(data []byte) error {
	if s.cls == nil {
		return ErrModelDisabled
	}
	path := filepath.Join(s.dataDir, "models", "core.onnx")
	if err := writeIfChanged(path, data); err != nil {
		return err
	}
	return s.cls.swapTo(path)
}

// Close releases the model. The stage must not be used afterwards.
func (s *Stage) Close() error {
	if s == nil {
		return nil
	}
	return s.cls.close()
}
