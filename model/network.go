package model

import (
	"math"
)

// head is one float32 classifier branch, as trained: a hashed embedding
// table, mean pooling, an optional ReLU hidden layer and a linear output.
type head struct {
	Rows, Dim, Hidden, Classes int
	Emb                        []float32 // Rows×Dim
	W1, B1                     []float32 // Dim×Hidden, Hidden
	W2, B2                     []float32 // In×Classes, Classes; In = Hidden or Dim
}

func (h *head) in() int {
	if h.Hidden > 0 {
		return h.Hidden
	}
	return h.Dim
}

func (h *head) clone() *head {
	c := *h
	c.Emb = append([]float32(nil), h.Emb...)
	c.W1 = append([]float32(nil), h.W1...)
	c.B1 = append([]float32(nil), h.B1...)
	c.W2 = append([]float32(nil), h.W2...)
	c.B2 = append([]float32(nil), h.B2...)
	return &c
}

// qhead is the int8 form of a head, exactly as exported to ONNX. The
// temperature is already folded into W2Scale and B2.
type qhead struct {
	Rows, Dim, Hidden, Classes int
	EmbQ                       []int8    // Rows×Dim
	EmbScale                   []float32 // one per-tensor scale
	W1Q                        []int8    // Dim×Hidden
	W1Scale                    []float32 // Hidden
	B1                         []float32
	W2Q                        []int8    // In×Classes
	W2Scale                    []float32 // Classes
	B2                         []float32
}

func (q *qhead) in() int {
	if q.Hidden > 0 {
		return q.Hidden
	}
	return q.Dim
}

// bytes returns the size of the weights in memory.
func (q *qhead) bytes() int {
	return len(q.EmbQ) + 4*len(q.EmbScale) + len(q.W1Q) + 4*(len(q.W1Scale)+len(q.B1)) +
		len(q.W2Q) + 4*(len(q.W2Scale)+len(q.B2))
}

// quantizeRows quantizes a rows×cols matrix symmetrically with one scale
// per row.
func quantizeRows(w []float32, rows, cols int) ([]int8, []float32) {
	q := make([]int8, len(w))
	scale := make([]float32, rows)
	for r := range rows {
		row := w[r*cols : (r+1)*cols]
		var m float32
		for _, v := range row {
			m = max(m, float32(math.Abs(float64(v))))
		}
		s := m / 127
		if s == 0 {
			s = 1
		}
		scale[r] = s
		for c, v := range row {
			q[r*cols+c] = int8(max(-127, min(127, math.Round(float64(v/s)))))
		}
	}
	return q, scale
}

// quantizeCols quantizes a rows×cols matrix symmetrically with one scale
// per column (the output channel of a MatMul).
func quantizeCols(w []float32, rows, cols int, div float32) ([]int8, []float32) {
	q := make([]int8, len(w))
	scale := make([]float32, cols)
	for c := range cols {
		var m float32
		for r := range rows {
			m = max(m, float32(math.Abs(float64(w[r*cols+c]/div))))
		}
		s := m / 127
		if s == 0 {
			s = 1
		}
		scale[c] = s
		for r := range rows {
			q[r*cols+c] = int8(max(-127, min(127, math.Round(float64(w[r*cols+c]/div/s)))))
		}
	}
	return q, scale
}

// quantize returns the int8 form of h with logits divided by temperature.
func (h *head) quantize(temperature float32) *qhead {
	q := &qhead{Rows: h.Rows, Dim: h.Dim, Hidden: h.Hidden, Classes: h.Classes}
	// One scale for the whole table: the graph then needs no per-row scale
	// lookup (two fewer ONNX nodes per head on the latency-critical path).
	q.EmbQ, q.EmbScale = quantizeRows(h.Emb, 1, len(h.Emb))
	if h.Hidden > 0 {
		q.W1Q, q.W1Scale = quantizeCols(h.W1, h.Dim, h.Hidden, 1)
		q.B1 = append([]float32(nil), h.B1...)
	}
	q.W2Q, q.W2Scale = quantizeCols(h.W2, h.in(), h.Classes, temperature)
	q.B2 = make([]float32, h.Classes)
	for i, b := range h.B2 {
		q.B2[i] = b / temperature
	}
	return q
}

// logits computes the pre-softmax output of the quantized head for one
// message, mirroring the ONNX graph operation by operation. buf must have
// room for Dim+Hidden floats; the result is written to out (len Classes).
func (q *qhead) logits(ids []int32, out, buf []float32) {
	d := q.Dim
	pooled := buf[:d]
	clear(pooled)
	if n := len(ids); n > 0 {
		w := 1 / float32(n)
		s := q.EmbScale[0]
		for _, id := range ids {
			row := q.EmbQ[int(id)*d : int(id)*d+d]
			for j, v := range row {
				pooled[j] += float32(v) * s * w
			}
		}
	}
	x := pooled
	if q.Hidden > 0 {
		hid := buf[d : d+q.Hidden]
		for k := range hid {
			hid[k] = 0
		}
		for j, pj := range pooled {
			row := q.W1Q[j*q.Hidden : (j+1)*q.Hidden]
			for k, v := range row {
				hid[k] += pj * (float32(v) * q.W1Scale[k])
			}
		}
		for k := range hid {
			hid[k] = max(0, hid[k]+q.B1[k])
		}
		x = hid
	}
	for c := range out {
		out[c] = 0
	}
	for j, xj := range x {
		row := q.W2Q[j*q.Classes : (j+1)*q.Classes]
		for c, v := range row {
			out[c] += xj * (float32(v) * q.W2Scale[c])
		}
	}
	for c := range out {
		out[c] += q.B2[c]
	}
}

// softmaxInPlace turns logits into probabilities.
func softmaxInPlace(x []float32) {
	if len(x) == 0 {
		return
	}
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	var s float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		s += e
	}
	for i := range x {
		x[i] /= s
	}
}
