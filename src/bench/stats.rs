//! Latency samples and their percentiles.

use std::time::Duration;

/// Latencies of one operation, in the order measured.
#[derive(Default)]
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn with_capacity(n: usize) -> Self {
        Samples(Vec::with_capacity(n))
    }

    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    /// The `q` quantile (0..=1) in microseconds, nearest rank; 0 with no samples.
    pub fn quantile_us(&self, q: f64) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        match sorted.len() {
            0 => 0.0,
            n => {
                let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
                sorted[rank - 1].as_secs_f64() * 1e6
            }
        }
    }

    pub fn p50_us(&self) -> f64 {
        self.quantile_us(0.5)
    }

    pub fn p99_us(&self) -> f64 {
        self.quantile_us(0.99)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut s = Samples::default();
        for us in (1..=100).rev() {
            s.push(Duration::from_micros(us));
        }
        assert_eq!(s.p50_us(), 50.0);
        assert_eq!(s.p99_us(), 99.0);
        assert_eq!(s.quantile_us(1.0), 100.0);
        assert_eq!(Samples::default().p50_us(), 0.0);
    }
}
