-- The policy list's own documents (PolicyListing), one per policy: its stream version, client and rule
-- counts and versions, so that `lethe policy list` reads none of the drafts, which hold every rule.
-- The table as `lethe migrate schema-script --out FILE` writes it; the draft projection keeps each row
-- with every change from now on.
CREATE TABLE IF NOT EXISTS lethe.mt_doc_policylisting (
    id                  varchar                     NOT NULL,
    data                jsonb                       NOT NULL,
    mt_last_modified    timestamp with time zone    NULL DEFAULT (transaction_timestamp()),
    mt_version          uuid                        NOT NULL DEFAULT (md5(random()::text || clock_timestamp()::text)::uuid),
    mt_dotnet_type      varchar                     NULL,
CONSTRAINT pkey_mt_doc_policylisting_id PRIMARY KEY (id)
);

-- By hand: the listing of every policy made before this migration, taken from its draft as
-- PolicyListing.Of takes it. A listing already there (a server with Lethe:CreateSchema=true made the
-- table) was written by the projection with the draft it lists, and is left as it is.
INSERT INTO lethe.mt_doc_policylisting (id, data, mt_dotnet_type)
SELECT p.id,
       jsonb_build_object(
           'id', p.id,
           'version', (p.data ->> 'version')::bigint,
           'clients', jsonb_array_length(p.data -> 'draft' -> 'clients'),
           'rules', (SELECT coalesce(sum(jsonb_array_length(c -> 'rules')), 0) FROM jsonb_array_elements(p.data -> 'draft' -> 'clients') AS c),
           'latestSnapshot', (p.data -> 'publishing' ->> 'latestVersion')::int,
           'pendingConfirmation', p.data -> 'publishing' -> 'pendingVersion'),
       'Lethe.Infrastructure.Marten.PolicyListing'
FROM lethe.mt_doc_policy AS p
ON CONFLICT (id) DO NOTHING;
