"""cartax — proactive automobile-tax refunds (자동차세 환급) for Korean local governments."""

__version__ = "0.1.0"
