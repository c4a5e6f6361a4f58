//! Services: where a trail meets a real identity (an exchange, a custodial service)
//! and a trace may stop. The tracer asks the [`Services`] trait; the labels of
//! the screening crate (`tags::ServiceStops`) implement it.

use index::AddrId;

/// A labelled service.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Service {
    /// Its name (`exchange_b`, `Binance`, ...).
    pub name: String,
    /// Its category (`exchange`, `service`, ...).
    pub category: String,
}

/// Which addresses belong to services.
pub trait Services {
    /// The service an address belongs to (by its own label or its entity's), as an
    /// index into [`Services::service`].
    fn service_of(&self, address: AddrId) -> Option<usize>;
    /// A service by index.
    fn service(&self, id: usize) -> &Service;
}

/// No services known.
pub struct NoServices;

impl Services for NoServices {
    fn service_of(&self, _: AddrId) -> Option<usize> {
        None
    }

    fn service(&self, _: usize) -> &Service {
        unreachable!("NoServices has no service")
    }
}
