"""Table-driven checks of the French recognizers through the real detector: for each type, values
that must be found (checksum-valid, in the ways people write them) and lookalikes that must not."""

from __future__ import annotations

import pytest

from proxy.analysis.engine import Detector
from proxy.entities import Entity

FOUND: list[tuple[Entity, str, str]] = [
    # (type, sentence with {}, value)
    (Entity.NIR, "Numéro de sécurité sociale : {}.", "1 84 12 76 451 089 46"),
    (Entity.NIR, "Mon n° de sécu est le {}, merci.", "184127645108946"),
    (Entity.NIR, "Carte Vitale {}", "2.84.12.2A.123.456.47"),
    (Entity.NIR, "numéro INSEE {} (sans la clé)", "2 69 05 99 123 456"),
    (Entity.SIREN, "Société immatriculée au RCS, SIREN {}.", "732 829 320"),
    (Entity.SIRET, "Fournisseur SIRET {}.", "732 829 320 00074"),
    (Entity.SIRET, "Établissement {} inscrit.", "73282932000074"),
    (Entity.IBAN, "IBAN : {}", "FR76 3000 6000 0112 3456 7890 189"),
    (Entity.IBAN, "Virement sur le compte {} demain.", "DE89370400440532013000"),
    (Entity.IBAN, "IBAN {}", "IT60 X054 2811 1010 0000 0123 456"),
    (Entity.RIB, "RIB : {}", "30004 00823 00010101010 89"),
    (Entity.PHONE, "Tél. : {}", "06 12 34 56 78"),
    (Entity.PHONE, "Appelez le {} après 18 h.", "01.42.21.32.74"),
    (Entity.PHONE, "Portable {}", "+33 6 12 34 56 78"),
    (Entity.PHONE, "Fixe : {}", "0033 1 42 21 32 74"),
    (Entity.PHONE, "Joindre au {} svp", "0612345678"),
    (Entity.EMAIL, "Écrire à {}.", "jean.dupont@mairie-lyon.fr"),
    (Entity.URL, "Voir {} pour la démarche.", "https://www.service-public.fr/particuliers/vosdroits"),
    (Entity.IP_ADDRESS, "Connexion depuis l'adresse IP {} ce matin.", "192.168.12.7"),
    (Entity.IP_ADDRESS, "IP : {}", "2001:db8::8a2e:370:7334"),
    (Entity.LICENSE_PLATE, "Véhicule immatriculé {} stationné.", "AB-123-CD"),
    (Entity.LICENSE_PLATE, "Plaque d'immatriculation : {}", "1234 AB 56"),
    (Entity.ID_CARD, "Carte nationale d'identité n° {}", "X4RTBPFW4"),
    (Entity.ID_CARD, "CNI {}", "880692310285"),
    (Entity.PASSPORT, "Passeport n° {}", "12AB34567"),
    (Entity.TAX_ID, "Numéro fiscal : {}", "30 23 217 600 053"),
    (Entity.CAF_NUMBER, "Numéro d'allocataire CAF : {}", "1234567"),
    (Entity.CREDIT_CARD, "Payé avec la carte {}.", "4970 1012 3456 7893"),
    (Entity.CREDIT_CARD, "Carte American Express {}", "3782 822463 10005"),
    (Entity.DATE_OF_BIRTH, "Il est né le {} à Lyon.", "3 janvier 1970"),
    (Entity.DATE_OF_BIRTH, "Date de naissance : {}", "03/01/1970"),
    (Entity.DATE, "La réunion du {} est reportée.", "12 mars 2024"),
    (Entity.DATE, "Courrier reçu le {}.", "15/05/2022"),
    (Entity.ADDRESS, "J'habite {}.", "12 bis rue de la Paix, 75002 Paris"),
    (Entity.ADDRESS, "Adresse : {}", "3 avenue du Général de Gaulle 69003 Lyon"),
    (Entity.PERSON, "Je suis M. {}, votre voisin.", "DUPONT Jean"),
    (Entity.PERSON, "Courrier de Mme {} reçu hier.", "MARTIN-DURAND"),
    (Entity.PERSON, "Le dossier de {} est complet.", "LEFEBVRE Marie-Claire"),
    (Entity.PERSON, "Bonjour {},\nvoici le compte rendu.", "Sophie"),
    (Entity.PERSON, "Merci.\n\nCordialement,\n{}\n", "Jean-Paul Durand"),
    (Entity.PERSON, "Patient : {} | F | 25/10/1980", "Julie Petit"),
    (Entity.PERSON, "Le témoignage de {} a été écarté.", "K"),
    (Entity.PERSON, "Ce jour-là, {} a indiqué aux policiers qu'il partait.", "[L.]"),
    (Entity.DATE_OF_BIRTH, "Patient : Julie Petit | F | {} | dossier 9857", "25/10/1980"),
    (Entity.DATE_OF_BIRTH, "DUPONT Jean, {} (54 ans)", "03/01/1970"),
    (Entity.DATE, "Opéré le {}, contrôle à un mois.", "31121995"),
    (Entity.DATE, "Constat du {}.", "2021/12/10"),
    (Entity.LOCATION, "La requérante est née en 1952 et vit à {}.", "Şanlıurfa"),
    (Entity.LOCATION, "Le tribunal administratif de {} a jugé.", "Rennes"),
    (Entity.LOCATION, "Le dossier a été transmis au CCAS de la Ville de {}.", "Nantes"),
    (Entity.LOCATION, "Il habite dans le {} depuis peu.", "93200"),
    (Entity.PHONE, "Secrétariat 01 41 29 00 35 {}", "01 41 29 00 37"),
    (Entity.PHONE, "Bureau de Berlin : {}", "+49 30 5682001"),
    (Entity.PHONE, "Mon numéro à La Réunion : {}, merci.", "0692 45 78 13"),
    (Entity.PASSPORT, "Copie du passeport de votre fille (n° {}), majeure.", "EK4521873"),
    (Entity.PERSON, "FICHE\nNom : {}\nPrénom : Julie", "MARTIN"),
    (Entity.PERSON, "Nom de naissance : {}\n", "DURAND"),
    (Entity.LOCATION, "Lieu de naissance : {}\n", "Oran"),
    (Entity.PERSON, "Elle vit avec sa fille {} chez sa mère.", "Manon"),
    (Entity.PERSON, "Son fils, {}, s'occupe de la maison.", "Fabrice"),
    (Entity.PERSON, "Les enfants : Yanis (12 ans) et {} (4 ans).", "Adam"),
    (Entity.PERSON, "Ses deux petites sœurs ({}, 5 ans) dorment.", "Kadiatou"),
    (Entity.PERSON, "- {} 10 ans, PAI asthme", "Aylin Yılmaz"),
    (Entity.PERSON, "Bonne journée,\n{} – accueil PM", "Nadia"),
    (Entity.PERSON, "Nouveau numéro. Merci !! {}", "Julie"),
    (Entity.PERSON, "Dear {},\nThank you.", "Véronique"),
    (Entity.PERSON, "My wife {} and I bought the farm.", "Helen"),
    (Entity.LOCATION, "Il roulait en direction de {} à vive allure.", "Rouen"),
    (Entity.LOCATION, "Déclaration faite au commissariat de {}.", "Montpellier"),
    (Entity.LOCATION, "{}, Tours et Sens sont des villes.", "Orange"),
    (Entity.LOCATION, "POLICE MUNICIPALE DE {}\nRapport d'intervention", "VILLENEUVE-D'ASCQ"),
    (Entity.LOCATION, "ACCUEIL MAIRIE DE QUARTIER DE {}\nSemaine 17", "LOMME"),
    (Entity.PERSON, "Tu peux écrire à {} pour lui dire que le dossier est complet ?", "Patrick"),
    (Entity.PERSON, "Le week-end a été assuré par {} (échange validé oralement).", "Sébastien"),
    (Entity.PERSON, "Procuration à M. {} pour le vote.", "LE MEUR"),
    (Entity.PERSON, "Dossier suivi par Mme {}, assistante sociale.", "Le Goff"),
    (Entity.PERSON, "Fin de service à 17 h, en présence de l'agent {}.", "Dubois"),
    (Entity.PERSON, "Date : 14/10/2024     Signature : {}\n", "S. Garnier"),
    (Entity.PERSON, "Ma voisine {} est dans le même cas.", "Ginette"),
    (Entity.PERSON, "Enfants : Naïma, {} et Nassim\nAdresse :", "Zaïnaba"),
    (Entity.DATE, "Permanence : Lun. {} | DELCOURT Julien", "22/04"),
    (Entity.DATE, "Salage {}-19/01, deux semaines.", "16/01"),
    (Entity.DATE, "Je suis disponible {} après-midi.", "mardi 19"),
    (Entity.DATE, "Il vient du {} au 25 octobre.", "21"),
    (Entity.DATE, "Elle a chuté deux fois depuis {}, sans hospitalisation.", "décembre"),
    (Entity.DATE, "My passport expires on {}.", "3 August 2024"),
    (Entity.DATE, "Date: {} 14:06", "Thu, 7 Mar 2024"),
    (
        Entity.DATE,
        "Le {}, à vingt heures, le conseil s'est réuni.",
        "vingt-huit mars deux mille vingt-quatre",
    ),
    (Entity.DATE_OF_BIRTH, "Il est né le {}.", "quinze septembre mille neuf cent soixante-cinq"),
]

NOT_FOUND: list[tuple[Entity, str]] = [
    # (type that must not be reported, sentence with a lookalike)
    (Entity.NIR, "Référence du dossier : 1 84 12 76 451 089 47."),
    (Entity.SIREN, "Référence : 732 829 321"),
    (Entity.SIRET, "Bordereau 732 829 320 00075"),
    (Entity.IBAN, "Référence : FR76 3000 6000 0112 3456 7890 188"),
    (Entity.RIB, "Pièce : 30004 00823 00010101010 88"),
    (Entity.PHONE, "Commande n° 1234567890 expédiée."),
    (Entity.PHONE, "Référence 06 12 34 56."),
    (Entity.EMAIL, "Écrire à jean.dupont@ sans domaine."),
    (Entity.URL, "Le site de jean.dupont@mairie-lyon.fr est en panne."),
    (Entity.IP_ADDRESS, "Version 300.12.1.1 du logiciel."),
    (Entity.CREDIT_CARD, "Commande n° 4970 1012 3456 7890"),
    (Entity.TAX_ID, "Référence : 30 23 217 600 054"),
    (Entity.CAF_NUMBER, "Référence de commande : 1234567."),
    (Entity.ID_CARD, "Référence X4RTBPFW4 du colis."),
    (Entity.LICENSE_PLATE, "Le code 1234 AB 56 du formulaire."),
    (Entity.DATE, "Article 12 du règlement, alinéa 3."),
    (Entity.ADDRESS, "La rue est fermée pour travaux."),
    (Entity.PERSON, "Monsieur le Maire a signé l'arrêté."),
    (Entity.PERSON, "Veuillez trouver ci-joint le document."),
    (Entity.LOCATION, "La Cour a rejeté la requête du Gouvernement."),
    (Entity.LOCATION, "M. Evans, ministère de la Santé, et H. Bayne, ministère de l’Intérieur."),
    (Entity.PHONE, "Résultats 3 461 0 (1)22:32 06 2452 78 86 111 0 3 351"),
    (Entity.PERSON, "Les annexes A et B. De A à Z. La vitamine D, le fer."),
    (Entity.ORGANIZATION, "Bilan : CRP négative, LDH normale, TVA à 20 %."),
    (Entity.PERSON, "Le collège Jean Moulin et la salle Pierre Mendès France sont fermés."),
    (Entity.PERSON, "M. le Directeur Général des Services a signé."),
    (Entity.LOCATION, "Téléphone : 05 56 12 34 56\nEmployeur : néant"),
    (Entity.PERSON, "Le Rapport Martin a été publié en mars."),
    (Entity.LOCATION, "Le Président du Conseil Départemental a répondu."),
    (Entity.ORGANIZATION, "La Direction Régionale des Finances Publiques (DRFIP) a été saisie."),
    (Entity.ORGANIZATION, "Le ministère de l'Intérieur a répondu à la préfecture."),
    (Entity.PERSON, "Enfin, 3 ans après, un CDI, 3 ans. Depuis 3 ans rien. Contrat (3 ans)."),
    (Entity.PERSON, "Le service de la Petite Enfance rouvre lundi."),
    (Entity.LOCATION, "Hier, Kevin a appelé pour sa carte grise."),
    (Entity.LOCATION, "Demande de logement.\nBesoin exprimé : T4 en rez-de-chaussée."),
    (Entity.LOCATION, "Coordonnées bancaires pour le versement."),
    (Entity.PERSON, "The delegation will travel from 13 June to 17 June 2024."),
    (Entity.PERSON, "Avis de la travailleuse sociale : favorable."),
    (Entity.PERSON, "Les élèves du collège Louise Michel rentrent à pied."),
    (Entity.DATE, "Note : 10/10, et 3/4 des élèves ont réussi."),
    (Entity.PERSON, "Référent : Service enfance\nSignature : illisible"),
    (Entity.PERSON, "La Cour a entendu l'agent du Gouvernement et l'agent de police."),
    (Entity.PERSON, "Membres : Commission des finances, PM et CCAS\n"),
    (Entity.PERSON, "M. LE COMMISSAIRE est venu constater les faits avec Mme la Proviseure."),
    (Entity.DATE, "La réunion commence mardi 19 h, salle 12."),
]


@pytest.mark.parametrize(("entity", "sentence", "value"), FOUND, ids=[f"{e}-{v}" for e, _, v in FOUND])
def test_value_is_found_with_its_type_and_bounds(
    detector: Detector, entity: Entity, sentence: str, value: str
) -> None:
    text = sentence.format(value)
    start = text.index(value)
    findings = detector.detect([text])[0]
    assert any(f.entity is entity and f.start == start and f.end == start + len(value) for f in findings), [
        (f.entity, text[f.start : f.end]) for f in findings
    ]


@pytest.mark.parametrize(("entity", "text"), NOT_FOUND, ids=[t for _, t in NOT_FOUND])
def test_lookalike_is_not_reported(detector: Detector, entity: Entity, text: str) -> None:
    findings = detector.detect([text])[0]
    assert all(f.entity is not entity for f in findings), [
        (f.entity, text[f.start : f.end]) for f in findings
    ]


def test_each_name_of_a_list_is_its_own_finding(detector: Detector) -> None:
    text = "Svp aidez moi, les enfants (Daniel, Esther et Samuel) sont à l'école."
    people = [text[f.start : f.end] for f in detector.detect([text])[0] if f.entity is Entity.PERSON]
    assert people == ["Daniel", "Esther", "Samuel"]


def test_email_domain_is_not_a_separate_url(detector: Detector) -> None:
    text = "Contact : jean.dupont@www.mairie-lyon.fr"
    findings = detector.detect([text])[0]
    assert [(f.entity, text[f.start : f.end]) for f in findings] == [
        (Entity.EMAIL, "jean.dupont@www.mairie-lyon.fr")
    ]


def test_spacy_span_across_lines_is_split(detector: Detector) -> None:
    text = "Pour la Commission\nM. Jean Loucaides, délégué"
    persons = [text[f.start : f.end] for f in detector.detect([text])[0] if f.entity is Entity.PERSON]
    assert persons == ["Jean Loucaides"]


# The same invalid checksums right after their strong label: the shape is enough there.
LABELLED_INVALID = [
    (Entity.NIR, "Numéro de sécurité sociale : 1 84 12 76 451 089 47.", "1 84 12 76 451 089 47"),
    (Entity.SIREN, "SIREN : 732 829 321", "732 829 321"),
    (Entity.SIRET, "SIRET 732 829 320 00075", "732 829 320 00075"),
    (Entity.IBAN, "IBAN : FR76 3000 6000 0112 3456 7890 188", "FR76 3000 6000 0112 3456 7890 188"),
    (Entity.RIB, "RIB : 30004 00823 00010101010 88", "30004 00823 00010101010 88"),
    (Entity.CREDIT_CARD, "Carte bancaire n° 4970 1012 3456 7890", "4970 1012 3456 7890"),
    (Entity.TAX_ID, "Numéro fiscal : 30 23 217 600 054", "30 23 217 600 054"),
]


@pytest.mark.parametrize(
    ("entity", "text", "value"), LABELLED_INVALID, ids=[t for _, t, _ in LABELLED_INVALID]
)
def test_invalid_checksum_after_its_label_is_reported(
    detector: Detector, entity: Entity, text: str, value: str
) -> None:
    found = {text[f.start : f.end]: f.entity for f in detector.detect([text])[0]}
    assert found.get(value) is entity, found
