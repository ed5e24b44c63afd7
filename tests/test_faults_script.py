"""benchmarks/faults.py restarts the PostgreSQL cluster DATABASE_URL really points at, or
refuses saying why (issue 15 item 5).

Tested as a pure function over ``pg_lsclusters`` output and the URL: the script itself
restarts a real cluster, which is never done to the shared server of a test run."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.live import ROOT

spec = importlib.util.spec_from_file_location("faults_script", ROOT / "benchmarks/faults.py")
faults = importlib.util.module_from_spec(spec)
sys.modules["faults_script"] = faults
spec.loader.exec_module(faults)

TWO = """\
Ver Cluster Port Status Owner    Data directory              Log file
15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/15-main.log
16  faults  5433 online postgres /var/lib/postgresql/16/faults /var/log/postgresql/16-f.log
"""


def test_the_cluster_is_found_by_the_port_of_database_url_not_by_its_place_in_the_list(
        ) -> None:
    url = "postgresql://portal_app:portal_app@127.0.0.1:5433/portal_season"
    cluster = faults.cluster_for(url, TWO)
    assert (cluster.version, cluster.name, cluster.port) == ("16", "faults", 5433)
    assert faults.cluster_for("postgresql://u@localhost/db", TWO).label == "15/main"  # 5432
    assert faults.cluster_for("postgresql+psycopg://u@[::1]:5433/db",
                              TWO.splitlines()[2]).label == "16/faults"   # no header


@pytest.mark.parametrize(("url", "output", "why"), [
    ("", TWO, "DATABASE_URL is not set"),
    ("sqlite:////tmp/x.db", TWO, "not PostgreSQL"),
    ("postgresql://u@db.example.org:5432/x", TWO, "not this machine"),
    ("postgresql://u@127.0.0.1:6543/x", TWO, "no local cluster listens on port 6543"),
    ("postgresql://u@127.0.0.1:5432/x", TWO + "17 other 5432 online postgres /d /l\n",
     "2 clusters are configured on port 5432"),
    ("postgresql://u@127.0.0.1:5433/x", TWO.replace("5433 online", "5433 down"),
     "16/faults on port 5433 is down"),
])
def test_anything_but_one_online_local_cluster_on_that_port_is_refused_saying_why(
        url: str, output: str, why: str) -> None:
    with pytest.raises(faults.ClusterRefused, match=why):
        faults.cluster_for(url, output)


def test_the_cluster_must_be_named_by_the_operator_before_it_is_restarted() -> None:
    cluster = faults.cluster_for("postgresql://u@127.0.0.1:5432/x", TWO)
    with pytest.raises(faults.ClusterRefused, match="FAULTS_RESTART_CLUSTER=15/main"):
        faults.consented(cluster, None)
    with pytest.raises(faults.ClusterRefused, match="it says '16/faults'"):
        faults.consented(cluster, "16/faults")
    faults.consented(cluster, "15/main")
