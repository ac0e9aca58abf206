//! Which of the messages taken from Kafka may run now, and which offsets are done with. Events
//! of one key (one aggregate) run one at a time in the order they were taken; events of other
//! keys run beside them. A partition's offset moves only over a contiguous run of messages
//! done with, so a restart never skips one that was still running.

use std::collections::{BTreeSet, HashMap, VecDeque};

use rdkafka::message::{Message, OwnedMessage};

/// A partition: topic and number.
type Partition = (String, i32);
/// One key of one partition (a message without a key shares the partition's one `None`).
type Key = (Partition, Option<Vec<u8>>);

#[derive(Debug, Default)]
pub(super) struct Lanes {
    /// Per key with a message running: the messages of that key waiting behind it, in order.
    busy: HashMap<Key, VecDeque<OwnedMessage>>,
    /// Per partition: the offsets taken and not done with yet, and the next offset after the
    /// highest taken.
    partitions: HashMap<Partition, (BTreeSet<i64>, i64)>,
    taken: usize,
}

fn key_of(message: &OwnedMessage) -> Key {
    (
        (message.topic().to_owned(), message.partition()),
        message.key().map(<[u8]>::to_vec),
    )
}

impl Lanes {
    /// Messages taken and not done with: running, waiting for their key, or set aside.
    pub(super) fn taken(&self) -> usize {
        self.taken
    }

    /// Takes `message`: `Some` when it may run now, `None` when an earlier message of its key
    /// is still running (it runs after that one is [`Lanes::done`]).
    pub(super) fn take(&mut self, message: OwnedMessage) -> Option<OwnedMessage> {
        self.taken += 1;
        let partition = self
            .partitions
            .entry((message.topic().to_owned(), message.partition()))
            .or_insert_with(|| (BTreeSet::new(), message.offset()));
        partition.0.insert(message.offset());
        partition.1 = partition.1.max(message.offset() + 1);
        match self.busy.get_mut(&key_of(&message)) {
            Some(waiting) => {
                waiting.push_back(message);
                None
            }
            None => {
                self.busy.insert(key_of(&message), VecDeque::new());
                Some(message)
            }
        }
    }

    /// `message` (which was running) is done with: the next message of its key, which may now
    /// run, and the offset its partition may store when that moved.
    pub(super) fn done(
        &mut self,
        message: &OwnedMessage,
    ) -> (Option<OwnedMessage>, Option<(Partition, i64)>) {
        self.taken = self.taken.saturating_sub(1);
        let key = key_of(message);
        let next = match self.busy.get_mut(&key).and_then(VecDeque::pop_front) {
            Some(next) => Some(next),
            None => {
                self.busy.remove(&key);
                None
            }
        };
        let partition = key.0;
        let store = self.partitions.get_mut(&partition).map(|(open, after)| {
            open.remove(&message.offset());
            let next_offset = open.first().copied().unwrap_or(*after);
            (partition.clone(), next_offset)
        });
        (next, store)
    }
}

#[cfg(test)]
mod tests {
    use rdkafka::Timestamp;

    use super::*;

    fn message(partition: i32, offset: i64, key: &str) -> OwnedMessage {
        OwnedMessage::new(
            None,
            Some(key.as_bytes().to_vec()),
            "t".to_owned(),
            Timestamp::NotAvailable,
            partition,
            offset,
            None,
        )
    }

    fn offsets(messages: &[Option<OwnedMessage>]) -> Vec<Option<i64>> {
        messages
            .iter()
            .map(|m| m.as_ref().map(Message::offset))
            .collect()
    }

    #[test]
    fn one_key_runs_one_at_a_time_in_order_and_other_keys_beside_it() {
        let mut lanes = Lanes::default();
        let taken: Vec<_> = [(0, "a"), (1, "b"), (2, "a"), (3, "a"), (4, "c")]
            .into_iter()
            .map(|(offset, key)| lanes.take(message(0, offset, key)))
            .collect();
        assert_eq!(offsets(&taken), [Some(0), Some(1), None, None, Some(4)]);
        assert_eq!(lanes.taken(), 5);

        let (next, _) = lanes.done(&message(0, 0, "a"));
        assert_eq!(next.map(|m| m.offset()), Some(2), "a's next, in order");
        let (next, _) = lanes.done(&message(0, 2, "a"));
        assert_eq!(next.map(|m| m.offset()), Some(3));
        let (next, _) = lanes.done(&message(0, 3, "a"));
        assert!(next.is_none(), "a is free again");
        assert!(lanes.take(message(0, 5, "a")).is_some());
    }

    #[test]
    fn a_partition_stores_only_its_contiguous_prefix_of_done_offsets() {
        let mut lanes = Lanes::default();
        for (offset, key) in [(10, "a"), (11, "b"), (12, "c")] {
            lanes.take(message(0, offset, key));
        }
        lanes.take(message(1, 7, "a"));
        let partition = |p: i32| ("t".to_owned(), p);

        // 11 and 12 finish first: 10 still runs, so nothing past it may be stored.
        assert_eq!(lanes.done(&message(0, 11, "b")).1, Some((partition(0), 10)));
        assert_eq!(lanes.done(&message(0, 12, "c")).1, Some((partition(0), 10)));
        // 10 done: everything taken is, so the partition stores the offset after 12.
        assert_eq!(lanes.done(&message(0, 10, "a")).1, Some((partition(0), 13)));
        // Another partition has its own prefix.
        assert_eq!(lanes.done(&message(1, 7, "a")).1, Some((partition(1), 8)));
        assert_eq!(lanes.taken(), 0);
    }
}
