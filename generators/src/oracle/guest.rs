//! The guest as the oracle runs it: a behaviour's body step by step over the modelled
//! memory, tables and counters, under a call's budget. Where the outcome is the engine's
//! or the machine's to decide (whether a burn fits its fuel, whether a loop ends before
//! its deadline), the question goes through [`Sim::decide`], answered once per run.

use super::*;

/// Whether a guest burning fuel surely burns all of `budget`'s before its deadline: at
/// most [`FUEL_SURELY_BEFORE_ONE_SECOND`] for each whole second of a deadline of a second
/// or more.
fn fuel_runs_out_first(budget: Budget) -> bool {
    budget.timeout >= Duration::from_secs(1)
        && budget.fuel <= FUEL_SURELY_BEFORE_ONE_SECOND.saturating_mul(budget.timeout.as_secs())
}

impl Sim<'_> {
    pub(super) fn spin(&self, budget: Budget) -> Call {
        if budget.fuel == u64::MAX {
            return Ok(Err(GuestFailure::Timeout));
        }
        if fuel_runs_out_first(budget) {
            return Ok(Err(GuestFailure::FuelExhausted));
        }
        Err(Ambiguous(format!(
            "a spinning guest with {} fuel and a {:?} timeout: set fuel to u64::MAX (timeout wins) or at most {FUEL_SURELY_BEFORE_ONE_SECOND} for each second of a timeout of 1 s or more (fuel wins)",
            budget.fuel, budget.timeout
        )))
    }

    /// The engine's or the machine's answer to `question`: the one given before in this
    /// run, or the next of [`Sim::decisions`], or, when those run out, a request for more.
    pub(super) fn decide(&mut self, question: Decision) -> Result<bool, Ambiguous> {
        if let Some(&answer) = self.decided.get(&question) {
            return Ok(answer);
        }
        match self.decisions.get(self.decided.len()) {
            Some(&answer) => Ok(*self.decided.entry(question).or_insert(answer)),
            None => {
                self.undecided = true;
                Err(Ambiguous(format!(
                    "the engine or the machine decides {question:?}"
                )))
            }
        }
    }

    /// [`Behaviour::Linger`]: with unlimited fuel, it returns or times out, as the
    /// machine decides; with a finite budget it is [`Behaviour::Burn`].
    pub(super) fn linger(
        &mut self,
        n: u64,
        budget: Budget,
    ) -> Result<Option<GuestFailure>, Ambiguous> {
        if budget.fuel != u64::MAX {
            return self.burn(n, budget);
        }
        let in_time = self.decide(Decision::InTime {
            n,
            timeout: budget.timeout,
        })?;
        Ok((!in_time).then_some(GuestFailure::Timeout))
    }

    pub(super) fn burn(
        &mut self,
        n: u64,
        budget: Budget,
    ) -> Result<Option<GuestFailure>, Ambiguous> {
        let (cheapest, dearest) = BURN_FUEL_PER_ITERATION;
        let quick = n <= 1_000_000 || budget.timeout >= Duration::from_secs(1);
        if quick && n.saturating_mul(dearest).saturating_add(64) <= budget.fuel {
            return Ok(None);
        }
        // Fuel, not the clock, ends it either way: whether it fits is the engine's.
        let fuel_decides = fuel_runs_out_first(budget);
        if n.saturating_mul(cheapest) > budget.fuel && fuel_decides {
            return Ok(Some(GuestFailure::FuelExhausted));
        }
        if fuel_decides {
            let fits = self.decide(Decision::Fits {
                n,
                fuel: budget.fuel,
            })?;
            return Ok((!fits).then_some(GuestFailure::FuelExhausted));
        }
        Err(Ambiguous(format!(
            "burning {n} iterations with {} fuel and a {:?} timeout",
            budget.fuel, budget.timeout
        )))
    }

    pub(super) fn write(&mut self, at: u64, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            self.memory.insert(at + i as u64, *b);
        }
    }

    pub(super) fn read(&self, at: u64, len: u64) -> Vec<u8> {
        (at..at + len)
            .map(|a| self.memory.get(&a).copied().unwrap_or(0))
            .collect()
    }

    /// `memory.grow` or `table.grow` by `n`: the old size, or -1 if the module's maximum
    /// or the limit refuses.
    pub(super) fn grow(&mut self, table: bool, n: u32) -> i64 {
        let (current, maximum) = if table {
            (
                self.table_elements,
                self.spec
                    .table
                    .and_then(|t| t.maximum)
                    .map_or(u64::from(u32::MAX), u64::from),
            )
        } else {
            (
                self.memory_pages,
                self.spec
                    .memory
                    .and_then(|m| m.maximum)
                    .map_or(65_536, u64::from),
            )
        };
        let desired = current + u64::from(n);
        let admitted = if table {
            self.limits.admits_table(desired)
        } else {
            self.limits.admits_memory(desired * WASM_PAGE_BYTES)
        };
        if desired > maximum || !admitted {
            return -1;
        }
        if table {
            self.table_elements = desired;
        } else {
            self.memory_pages = desired;
        }
        current as i64
    }

    /// One call of a behaviour, recorded as a guest call when it enters an export (the
    /// wasm `start` section is none). `args` are the call's i32 arguments.
    pub(super) fn run(
        &mut self,
        b: &Behaviour,
        slot: Option<Entry>,
        budget: Budget,
        args: &[u32],
    ) -> Call {
        let budget = self.after_wrapper(slot, budget)?;
        self.calls[call_site(slot)] += 1;
        let result = self.run_body(b, slot, budget, args)?;
        if let Some(export) = slot {
            let outcome = CallOutcome::from(&result.map(|_| ()));
            self.made.push(GuestCall::new(export, outcome));
        }
        Ok(result)
    }

    /// The budget left to a behaviour once a component's canonical export has spent its
    /// part ([`COMPONENT_WRAPPER_FUEL`]); the whole budget on the core ABI.
    fn after_wrapper(&self, slot: Option<Entry>, budget: Budget) -> Result<Budget, Ambiguous> {
        if self.abi == Abi::Core || slot.is_none() || budget.fuel == u64::MAX {
            return Ok(budget);
        }
        match budget.fuel.checked_sub(COMPONENT_WRAPPER_FUEL) {
            Some(fuel) => Ok(Budget { fuel, ..budget }),
            None => Err(not_modelled(&format!(
                "a budget of {} fuel, below what the canonical exports spend,",
                budget.fuel
            ))),
        }
    }

    /// `alloc` for a message: on the core ABI, a call of its own with fresh fuel; on a
    /// component, what `cabi_realloc` does while the host lowers the message, inside
    /// `handle-message`'s call and budget, so only a behaviour that spends next to no
    /// fuel or fails outright is modelled, and a failure is `handle-message`'s.
    pub(super) fn allocate(&mut self, alloc: &Behaviour, budget: Budget, len: u32) -> Call {
        if self.abi == Abi::Core {
            return self.run(alloc, Some(Entry::Alloc), budget, &[len]);
        }
        let cheap = |b: &Behaviour| {
            matches!(
                b,
                Behaviour::Return | Behaviour::Value(_) | Behaviour::Trap(_) | Behaviour::Spin
            )
        };
        if !alloc
            .parts()
            .into_iter()
            .all(|b| matches!(b, Behaviour::OnCall { .. }) || cheap(b))
        {
            return Err(not_modelled("an `alloc` that spends fuel of its own"));
        }
        self.calls[call_site(Some(Entry::Alloc))] += 1;
        let result = self.run_body(alloc, Some(Entry::Alloc), budget, &[len])?;
        if let Err(failure) = result {
            let outcome = CallOutcome::from(&Err::<(), _>(failure));
            self.made
                .push(GuestCall::new(Entry::HandleMessage, outcome));
        }
        Ok(result)
    }

    /// [`Behaviour::Calibrate`]: a spin that counts; a count is only known when fuel,
    /// not the clock, ends it.
    pub(super) fn calibrate(&mut self, budget: Budget) -> Call {
        let result = self.spin(budget)?;
        self.calibrated = result == Err(GuestFailure::FuelExhausted);
        if !self.calibrated {
            return Err(Ambiguous(
                "a calibration ended by its deadline counts an amount that depends on the machine"
                    .into(),
            ));
        }
        Ok(result)
    }

    /// [`Behaviour::BurnCalibrated`]: `percent` of a calibrated budget, on a fresh budget.
    pub(super) fn burn_calibrated(
        &self,
        percent: u32,
        budget: Budget,
    ) -> Result<Option<GuestFailure>, Ambiguous> {
        if !self.calibrated {
            // The count is 0: the loop runs once.
            return Ok(None);
        }
        // A margin each way for what a call costs beyond its loop.
        let quick = budget.timeout >= Duration::from_secs(1);
        match percent {
            0..=90 if quick => Ok(None),
            110.. if quick => Ok(Some(GuestFailure::FuelExhausted)),
            _ => Err(Ambiguous(format!(
                "burning {percent}% of a calibrated budget with a {:?} timeout",
                budget.timeout
            ))),
        }
    }

    pub(super) fn run_body(
        &mut self,
        b: &Behaviour,
        slot: Option<Entry>,
        budget: Budget,
        args: &[u32],
    ) -> Call {
        let normal = |sim: &mut Sim| -> i64 {
            match slot {
                Some(Entry::Alloc) => {
                    let ptr = sim.next;
                    sim.next = sim.next.wrapping_add(args[0]);
                    i64::from(ptr)
                }
                _ => 0,
            }
        };
        Ok(Ok(match b {
            Behaviour::Return => normal(self),
            Behaviour::Value(v) => match slot {
                Some(Entry::Health | Entry::Alloc) => i64::from(*v as i32 as u32),
                _ => *v,
            },
            Behaviour::GrowMemory(n) | Behaviour::GrowMemoryOrTrap(n)
                if *n > 0 && budget.fuel < FUEL_SURELY_COVERS_GROWTH =>
            {
                return Err(Ambiguous(format!(
                    "whether growing memory by {n} page(s) fits {} fuel is the engine's",
                    budget.fuel
                )));
            }
            Behaviour::Trap(Trap::StackOverflow)
                if budget.fuel < FUEL_SURELY_OUTLASTS_THE_STACK =>
            {
                return Err(Ambiguous(format!(
                    "whether a recursion overflows the stack before {} fuel runs out is the engine's",
                    budget.fuel
                )));
            }
            // The null slot the trap is made with (0) may be filled by one of the module's
            // own element segments, all of a function of another type (found by fuzzing).
            Behaviour::Trap(Trap::IndirectCallToNull)
                if self
                    .spec
                    .elems
                    .iter()
                    .any(|&(offset, count)| offset == 0 && count > 0) =>
            {
                return Ok(Err(GuestFailure::Trapped(TrapCode::BadSignature)));
            }
            Behaviour::Trap(t) => return Ok(Err(GuestFailure::Trapped(t.code()))),
            Behaviour::Spin => return self.spin(budget),
            Behaviour::Burn(n) => match self.burn(*n, budget)? {
                Some(failure) => return Ok(Err(failure)),
                None => normal(self),
            },
            Behaviour::Linger(n) => match self.linger(*n, budget)? {
                Some(failure) => return Ok(Err(failure)),
                None => normal(self),
            },
            Behaviour::GrowMemory(n) | Behaviour::GrowTable(n) => {
                let result = self.grow(matches!(b, Behaviour::GrowTable(_)), *n);
                match slot {
                    Some(Entry::HandleMessage) => {
                        if self.memory_bytes() < 4 {
                            return Ok(Err(GuestFailure::Trapped(TrapCode::MemoryOutOfBounds)));
                        }
                        self.write(0, &(result as i32).to_le_bytes());
                        4
                    }
                    Some(Entry::Health) => i64::from(result as i32 as u32),
                    _ => normal(self),
                }
            }
            Behaviour::GrowMemoryOrTrap(n) | Behaviour::GrowTableOrTrap(n) => {
                if self.grow(matches!(b, Behaviour::GrowTableOrTrap(_)), *n) == -1 {
                    return Ok(Err(GuestFailure::Trapped(TrapCode::Unreachable)));
                }
                normal(self)
            }
            Behaviour::Calibrate => return self.calibrate(budget),
            Behaviour::BurnCalibrated(percent) => match self.burn_calibrated(*percent, budget)? {
                Some(failure) => return Ok(Err(failure)),
                None => normal(self),
            },
            Behaviour::Echo => match slot {
                Some(Entry::HandleMessage) => (i64::from(args[0]) << 32) | i64::from(args[1]),
                _ => normal(self),
            },
            Behaviour::OnCall {
                nth,
                then,
                otherwise,
            } => {
                let count = self.calls[call_site(slot)];
                let chosen = if count == *nth { then } else { otherwise };
                return self.run_body(&chosen.clone(), slot, budget, args);
            }
        }))
    }
}
