-- Finished webhook deliveries and the events nothing refers to any more are purged after a
-- retention period (limits.webhookRetentionMs); these indexes find them without a full scan.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (created_at) WHERE state <> 'pending';
CREATE INDEX webhook_events_created ON webhook_events (created_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
