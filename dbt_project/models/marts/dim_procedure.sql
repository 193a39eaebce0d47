-- The procedure catalog (danh mục TTHC) per province and era, as of the province's latest
-- loaded snapshot of that era: code, name, field, authority level, online capability, fee,
-- online payment and national-portal integration.
select
    province_code || '/' || era || '/' || procedure_code as procedure_key,
    province_code,
    era,
    procedure_code,
    procedure_name,
    procedure_field,
    level as authority_level,
    online_capability,
    fee_required,
    online_payment_enabled,
    national_portal_integrated,
    snapshot_date
from {{ ref('stg_procedures') }}
qualify snapshot_date = max(snapshot_date) over (partition by province_code, era)
