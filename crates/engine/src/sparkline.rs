//! ASCII sparklines for LATENCY GRAPH (Redis `sparkline.c`, the filled
//! style LATENCY GRAPH asks for): a sequence of labelled values drawn as
//! `rows` text lines of `_`, `o`, `#` and `|`, with each sample's label
//! printed vertically underneath, one blank line below the bars.
//!
//! Pure text layout: values and labels come in, bytes go out. The scale is
//! the sequence's own minimum to maximum; long sequences wrap every
//! `columns` samples, chunks separated by an empty line.

/// Bar characters from the lowest to the highest third of a row (Redis
/// `charset_fill`); a row entirely below the value is drawn with `|`.
const FILL_CHARSET: &[u8; 3] = b"_o#";
/// Blank lines between the bars and the labels (`label_margin_top`).
const LABEL_MARGIN_TOP_ROWS: usize = 1;

/// One value and its (possibly empty) label.
#[derive(Clone, Debug)]
struct Sample {
    value: f64,
    label: Vec<u8>,
}

/// A sequence of samples to draw (Redis `struct sequence`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Sequence {
    samples: Vec<Sample>,
    min: f64,
    max: f64,
    /// Samples with a non-empty label.
    labelled: usize,
}

impl Sequence {
    /// An empty sequence.
    pub(crate) fn new() -> Self {
        Sequence::default()
    }

    /// Appends `value` with `label` (Redis `sparklineSequenceAddSample`);
    /// an empty label prints nothing.
    pub(crate) fn add(&mut self, value: f64, label: &str) {
        if self.samples.is_empty() {
            self.min = value;
            self.max = value;
        } else if value < self.min {
            self.min = value;
        } else if value > self.max {
            self.max = value;
        }
        if !label.is_empty() {
            self.labelled += 1;
        }
        self.samples.push(Sample {
            value,
            label: label.as_bytes().to_vec(),
        });
    }

    /// Appends the drawing to `out` (Redis `sparklineRender` with
    /// `SPARKLINE_FILL`): `columns` samples per chunk, `rows` bar lines.
    pub(crate) fn render(&self, out: &mut Vec<u8>, columns: usize, rows: usize) {
        let columns = columns.max(1);
        for (chunk_index, chunk) in self.samples.chunks(columns).enumerate() {
            if chunk_index != 0 {
                out.push(b'\n');
            }
            self.render_chunk(out, chunk, rows);
        }
    }

    /// One chunk of at most `columns` samples (Redis
    /// `sparklineRenderRange`): bar lines top to bottom, then, when any
    /// sample is labelled, a blank line and the labels one byte per line
    /// until the longest is exhausted.
    fn render_chunk(&self, out: &mut Vec<u8>, chunk: &[Sample], rows: usize) {
        let range = self.max - self.min;
        let range = if range == 0.0 { 1.0 } else { range };
        let steps = (FILL_CHARSET.len() * rows) as i64;
        let charset_len = FILL_CHARSET.len() as i64;
        let mut line = vec![b' '; chunk.len()];
        for row in 0.. {
            line.fill(b' ');
            let mut printed = false;
            for (column, sample) in chunk.iter().enumerate() {
                if row < rows {
                    // C's `(int) (relval*steps)/relmax`: the product is
                    // truncated before the division, the quotient after.
                    let scaled = ((sample.value - self.min) * steps as f64) as i64;
                    let step = ((scaled as f64 / range) as i64).clamp(0, (steps - 1).max(0));
                    let index = step - (rows - row - 1) as i64 * charset_len;
                    printed = true;
                    if (0..charset_len).contains(&index) {
                        line[column] = FILL_CHARSET[index as usize];
                    } else if index >= charset_len {
                        line[column] = b'|';
                    }
                } else {
                    if self.labelled > 0 && row - rows < LABEL_MARGIN_TOP_ROWS {
                        // The blank line between bars and labels.
                        printed = true;
                        break;
                    }
                    let label_row = (row - rows).checked_sub(LABEL_MARGIN_TOP_ROWS);
                    if let Some(&byte) = label_row.and_then(|index| sample.label.get(index)) {
                        printed = true;
                        line[column] = byte;
                    }
                }
            }
            if !printed {
                break;
            }
            out.extend_from_slice(&line);
            out.push(b'\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Sequence;

    fn render(samples: &[(f64, &str)], columns: usize, rows: usize) -> String {
        let mut sequence = Sequence::new();
        for (value, label) in samples {
            sequence.add(*value, label);
        }
        let mut out = Vec::new();
        sequence.render(&mut out, columns, rows);
        String::from_utf8(out).unwrap()
    }

    /// One sample sits on the bottom line; its label follows a blank line.
    #[test]
    fn single_sample() {
        assert_eq!(render(&[(50.0, "0s")], 80, 4), " \n \n \n_\n \n0\ns\n");
    }

    /// Heights over 12 steps: the maximum fills every row, lower values
    /// stop at their step; labels of different lengths run down.
    #[test]
    fn heights_and_labels() {
        let samples = [(1.0, "12s"), (4.0, "5m"), (7.0, "1h"), (10.0, "")];
        assert_eq!(
            render(&samples, 80, 4),
            "   #\n  #|\n o||\n_|||\n    \n151 \n2mh \ns   \n"
        );
    }

    /// Without labels there is no blank line; chunks wrap at `columns`.
    #[test]
    fn wraps_without_labels() {
        let samples = [(0.0, ""), (1.0, ""), (2.0, "")];
        assert_eq!(render(&samples, 2, 1), "_o\n\n#\n");
    }
}
