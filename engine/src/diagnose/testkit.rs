//! A small pack for the pipeline's unit tests, loaded from memory.

use crate::pack::{LoadOptions, Origin, PackSource};
use crate::set::PackSet;

/// The pack's manifest and facts.
const MANIFEST: &str = r#"
format = 1
id = "shop"
name = "Shop"
version = "1.0.0"

[facts."order.items"]
type = "int"
question = "How many items are in the cart?"

[facts."card.expired"]
type = "bool"
question = "Has the card expired?"

[facts."provider.slow"]
type = "bool"
"#;

/// Entries: one with a cause of every verdict, a second signature entry sharing a fact, a
/// draft and a retired one.
pub(super) const ENTRIES: &str = r#"
[[entries]]
id = "card-declined"
title = "Payment fails with 'Your card was declined'"
keywords = ["card declined", "payment refused"]
remedy = ["Retry the payment.", "Call the bank."]

  [[entries.signatures]]
  id = "declined"
  pattern = 'your card was declined'

  [[entries.symptoms]]
  id = "cart"
  description = "the cart holds items"
  check = 'fact_or("order.items", 0) > 0'

  [[entries.causes]]
  id = "huge-cart"
  title = "The cart is huge"
  check = 'fact("order.items") > 100'
  remedy = ["Split the order."]

  [[entries.causes]]
  id = "broken"
  title = "A check that returns a number"
  check = 'fact("order.items")'

  [[entries.causes]]
  id = "expired"
  title = "The card has expired"
  check = 'fact("card.expired")'
  remedy = ["Use another card."]

  [[entries.causes]]
  id = "has-items"
  title = "The cart holds items"
  check = 'fact("order.items") > 0'
  remedy = ["Use another card.", "Retry the payment."]

  [[entries.causes]]
  id = "no-check"
  title = "Needs a human look"

[[entries]]
id = "gateway-timeout"
title = "The payment gateway timed out"
keywords = ["gateway timeout"]

  [[entries.signatures]]
  id = "timeout"
  pattern = 'payment gateway timed out after \d+ ms'

  [[entries.causes]]
  id = "slow-expired"
  title = "Expired cards are slow to refuse"
  check = 'fact("card.expired") && fact("provider.slow")'

[[entries]]
id = "coupon-rounding"
title = "Coupon total off by one cent"
keywords = ["coupon rounding", "total off by one cent"]
status = "draft"

[[entries]]
id = "legacy-endpoint"
title = "Legacy endpoint disabled"
keywords = ["legacy endpoint disabled"]
status = "retired"
"#;

/// A pack set of the test pack with `entries` as its only entry file.
pub(super) fn pack_set(entries: &str) -> PackSet {
    let src = PackSource::from_memory(
        "shop",
        Origin::Builtin,
        &[("pack.toml", MANIFEST), ("entries/a.toml", entries)],
    );
    match PackSet::load(&[src], &LoadOptions::default(), true) {
        Ok(set) => set,
        Err(errors) => panic!("the test pack loads: {errors:#?}"),
    }
}
