"""The directory's starting entries (`safe4c directory seed`, also run by `safe4c demo`).

Real and public: the ministry (KemenPPPA), its SAPA 129 hotline and their published numbers and website. Real
names, example contacts: one UPTD PPA per province (each province has one by regulation; their own numbers are
not gathered here, so each carries an example contact marked as such). Examples throughout: one psychosocial,
legal-aid, health, safe-house and police entry, marked as examples. Ids are derived from fixed keys, so seeding
twice replaces the same entries instead of adding copies; imported entries are left alone.
"""

from __future__ import annotations

from safe4c.directory import service
from safe4c.directory.rules.hsds import derived_id
from safe4c.directory.rules.records import Contact, Location, Organization, Phone, Service
from safe4c.directory.rules.types import NATIONAL, UPTD_PPA_SERVICES
from safe4c.kernel import regions
from safe4c.kernel.uow import UnitOfWork

CHILDREN = ("Anak (di bawah 18 tahun) dan perempuan yang mengalami kekerasan, serta orang yang melapor untuk "
            "mereka.")
# Service names as Permen PPPA 4/2018 gives a UPTD PPA's six services, and the other kinds in the same style.
SERVICE_NAMES = {"complaints": "Pengaduan masyarakat", "outreach": "Penjangkauan korban",
                 "case_management": "Pengelolaan kasus", "temporary_shelter": "Penampungan sementara",
                 "mediation": "Mediasi", "accompaniment": "Pendampingan korban",
                 "psychosocial_support": "Layanan psikososial", "legal_aid": "Bantuan hukum",
                 "medical_care": "Layanan kesehatan", "police_protection": "Laporan polisi dan perlindungan"}
UPTD_DESCRIPTIONS = {
    "complaints": "Menerima pengaduan kekerasan terhadap perempuan dan anak, langsung, lewat telepon atau daring.",
    "outreach": "Menjangkau korban di tempatnya, termasuk kunjungan darurat.",
    "case_management": "Menilai kasus, merencanakan layanan bersama korban dan mengikutinya sampai selesai.",
    "temporary_shelter": "Tempat tinggal aman bagi korban yang tidak dapat pulang.",
    "mediation": "Mediasi bila hukum membolehkan (tidak pernah untuk kekerasan seksual terhadap anak).",
    "accompaniment": "Mendampingi korban ke polisi, pengadilan, layanan kesehatan dan sosial.",
}


def _id(*parts: str) -> str:
    return derived_id("safe4c-seed", *parts)


def _national() -> list[Organization]:
    ministry = _id("kemenpppa")
    sapa = _id("sapa129")
    return [
        Organization(
            id=ministry, name="Kementerian Pemberdayaan Perempuan dan Perlindungan Anak", alternate_name="KemenPPPA",
            org_type="ministry", region_code="31.71", website="https://www.kemenpppa.go.id",
            description="Kementerian yang menangani pemberdayaan perempuan dan perlindungan anak; mengelola SAPA 129 "
                        "dan mengoordinasikan UPTD PPA provinsi dan kabupaten/kota.",
            locations=(Location(id=_id("kemenpppa", "office"), name="Kantor KemenPPPA",
                                address="Jl. Medan Merdeka Barat No. 15, Jakarta Pusat", region_code="31.71"),),
            services=(Service(id=_id("kemenpppa", "case_management"), name="Layanan rujukan akhir",
                              service_type="case_management", area_codes=(NATIONAL,), languages=("id",),
                              description="Rujukan akhir untuk kasus yang memerlukan koordinasi nasional.",
                              eligibility_description=CHILDREN),)),
        Organization(
            id=sapa, name="SAPA 129 (Sahabat Perempuan dan Anak)", alternate_name="SAPA 129", org_type="hotline",
            region_code="31.71", website="https://www.kemenpppa.go.id",
            description="Layanan pengaduan nasional KemenPPPA untuk kekerasan terhadap perempuan dan anak.",
            phones=(Phone(id=_id("sapa129", "call"), number="129", type="voice", description="Hotline"),
                    Phone(id=_id("sapa129", "whatsapp"), number="08111-129-129", type="text",
                          description="WhatsApp")),
            services=(Service(id=_id("sapa129", "complaints"), name="Pengaduan SAPA 129", service_type="complaints",
                              area_codes=(NATIONAL,), languages=("id",), eligibility_description=CHILDREN,
                              description="Menerima pengaduan lewat telepon dan WhatsApp dan merujuknya ke "
                                          "UPTD PPA di wilayah korban."),)),
    ]


def _uptd_ppa(province: regions.Region) -> Organization:
    key = f"uptd-ppa-{province.code}"
    return Organization(
        id=_id(key), name=f"UPTD PPA Provinsi {province.name}", org_type="uptd_ppa", region_code=province.code,
        description="Unit pelaksana teknis daerah perlindungan perempuan dan anak (UPTD PPA) provinsi.",
        contacts=(Contact(id=_id(key, "contact"), name="Petugas layanan (contoh)", title="Contoh kontak",
                          email=f"{key}@example.org", is_example=True),),
        locations=(Location(id=_id(key, "office"), name=f"Kantor UPTD PPA Provinsi {province.name}",
                            region_code=province.code),),
        services=tuple(Service(id=_id(key, kind), name=SERVICE_NAMES[kind], service_type=kind,
                               description=UPTD_DESCRIPTIONS[kind], area_codes=(province.code,),
                               location_ids=(_id(key, "office"),), languages=("id",),
                               eligibility_description=CHILDREN) for kind in UPTD_PPA_SERVICES))


# (key, name, type, regency, service types, description): all invented, marked as examples.
EXAMPLES = (
    ("psychosocial", "Layanan Psikososial Anak Bandung (contoh)", "psychosocial", "32.73",
     ("psychosocial_support",), "Konseling dan pemulihan trauma bagi anak dan keluarganya."),
    ("legal-aid", "Lembaga Bantuan Hukum Anak Kupang (contoh)", "legal_aid", "53.71",
     ("legal_aid", "accompaniment"), "Konsultasi dan pendampingan hukum gratis bagi anak korban."),
    ("health", "Pusat Pelayanan Terpadu RSUD Makassar (contoh)", "health", "73.71",
     ("medical_care", "psychosocial_support"), "Pemeriksaan medis, perawatan dan visum bagi korban."),
    ("safe-house", "Rumah Aman Anak Jayapura (contoh)", "social_service", "91.71",
     ("temporary_shelter",), "Rumah aman bagi anak yang tidak dapat pulang."),
    ("police", "Unit PPA Polres Kupang (contoh)", "police_unit", "53.01",
     ("police_protection",), "Menerima laporan polisi tentang kekerasan terhadap anak dan memberi perlindungan."),
)


def _example(key: str, name: str, org_type: str, regency: str, kinds: tuple[str, ...],
             description: str) -> Organization:
    key = f"example-{key}"
    return Organization(
        id=_id(key), name=name, org_type=org_type, region_code=regency, description=description, is_example=True,
        email=f"{key}@example.org",
        contacts=(Contact(id=_id(key, "contact"), name="Petugas (contoh)", email=f"{key}@example.org",
                          is_example=True),),
        locations=(Location(id=_id(key, "office"), name=name, region_code=regency),),
        services=tuple(Service(id=_id(key, kind), name=SERVICE_NAMES[kind], service_type=kind,
                               area_codes=(regency,), location_ids=(_id(key, "office"),), languages=("id",),
                               eligibility_description=CHILDREN, minimum_age=0, maximum_age=17)
                       for kind in kinds))


def seed_entries() -> list[Organization]:
    return [*_national(), *(_uptd_ppa(p) for p in regions.provinces()), *(_example(*e) for e in EXAMPLES)]


def seed(*, uow: UnitOfWork, actor_id: int | None = None) -> service.ImportResult:
    return service.save(uow=uow, organizations=seed_entries(), actor_id=actor_id, action="directory.seed")
