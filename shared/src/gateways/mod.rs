//! Payment gateways: turning a bill into the buyer's payment action, and a raw notification
//! into a verified, typed payment event.

pub mod signatures;
