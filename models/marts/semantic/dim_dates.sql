-- One row per calendar day from 2000-01-01 to 2049-12-31: the date dimension BI tools
-- join to, and the time spine of dbt's semantic layer (MetricFlow), which joins
-- cumulative and time-offset metrics to it. A fixed range, so it never depends on the
-- data: every snapshot, adoption and campaign date a warehouse can hold lies inside.

with

days as (

    {{ dbt.date_spine("day", "cast('2000-01-01' as date)", "cast('2050-01-01' as date)") }}

)

select cast(date_day as date) as date_day

from days
